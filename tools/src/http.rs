//! The HTTP client of the bench and the soak (reqwest, blocking): one session each, its cookies
//! kept by reqwest's cookie store, connections kept alive, and redirects not followed, so that a
//! 303 is seen as such.

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::blocking::Client;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::redirect::Policy;

/// Drop a connection idle this long instead of reusing it (the server closes idle ones later).
const IDLE_REUSE: Duration = Duration::from_secs(2);

/// A client of one server, with one session.
pub struct HttpClient {
    base: String,
    client: Client,
}

/// An answer: status, body, and the `Location` header if any.
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    pub location: Option<String>,
}

impl HttpClient {
    /// A client of the server at `addr` that waits up to `timeout` for each answer.
    pub fn new(addr: SocketAddr, timeout: Duration) -> Result<HttpClient, String> {
        let client = Client::builder()
            .redirect(Policy::none())
            .cookie_store(true)
            .timeout(timeout)
            .pool_idle_timeout(IDLE_REUSE)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(HttpClient {
            base: format!("http://{addr}"),
            client,
        })
    }

    /// Sends a request (a form body when given, with the extra headers) and reads the answer.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        form: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Result<Reply, String> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = form {
            request = request
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body.to_owned());
        }
        let response = request.send().map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.bytes().map_err(|e| e.to_string())?.to_vec();
        Ok(Reply {
            status,
            body,
            location,
        })
    }
}

/// The value of the first `marker"…"` attribute in a page, e.g. the CSRF token after
/// `name="csrf_token" value="`.
pub fn field(body: &[u8], marker: &str) -> Result<String, String> {
    let html = String::from_utf8_lossy(body);
    let start = html
        .find(marker)
        .ok_or_else(|| format!("no {marker:?} in the page"))?
        + marker.len();
    let end = html[start..].find('"').ok_or("unterminated field")?;
    Ok(html[start..start + end].to_owned())
}
