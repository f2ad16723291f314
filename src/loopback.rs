//! A small blocking HTTP/1.1 client for the loopback tools (`bench`, `soak`): it keeps its
//! connection and the session cookie, and reads what this server sends (lengths and chunks).
//! Not for the product's own use: the server never makes HTTP requests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Reconnect before reusing a connection idle this long (the server closes idle ones later).
const IDLE_REUSE: Duration = Duration::from_secs(2);

/// A client of one server, with one session.
pub struct HttpClient {
    addr: SocketAddr,
    read_timeout: Duration,
    conn: Option<(BufReader<TcpStream>, Instant)>,
    cookie: Option<String>,
}

/// An answer: status, body, and the `Location` header if any.
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    pub location: Option<String>,
}

impl HttpClient {
    /// A client that waits up to `read_timeout` for each answer.
    pub fn new(addr: SocketAddr, read_timeout: Duration) -> HttpClient {
        HttpClient {
            addr,
            read_timeout,
            conn: None,
            cookie: None,
        }
    }

    /// Sends a request (a form body when given, with the extra headers) and reads the answer.
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        form: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Result<Reply, String> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        if let Some(cookie) = &self.cookie {
            head.push_str(&format!("Cookie: {cookie}\r\n"));
        }
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(body) = form {
            head.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        if let Some(body) = form {
            head.push_str(body);
        }
        if self
            .conn
            .as_ref()
            .is_some_and(|(_, used)| used.elapsed() > IDLE_REUSE)
        {
            self.conn = None;
        }
        let (mut reader, _) = match self.conn.take() {
            Some(conn) => conn,
            None => {
                let stream = TcpStream::connect(self.addr).map_err(|e| e.to_string())?;
                stream
                    .set_read_timeout(Some(self.read_timeout))
                    .map_err(|e| e.to_string())?;
                let _ = stream.set_nodelay(true);
                (BufReader::new(stream), Instant::now())
            }
        };
        reader
            .get_mut()
            .write_all(head.as_bytes())
            .map_err(|e| e.to_string())?;
        let (reply, keep) = self.read_reply(&mut reader)?;
        if keep {
            self.conn = Some((reader, Instant::now()));
        }
        Ok(reply)
    }

    fn read_reply(&mut self, reader: &mut BufReader<TcpStream>) -> Result<(Reply, bool), String> {
        let mut line = String::new();
        if reader.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            return Err("the server closed the connection".to_owned());
        }
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad status line {line:?}"))?;
        let (mut length, mut chunked, mut keep, mut location) = (None, false, true, None);
        loop {
            line.clear();
            reader.read_line(&mut line).map_err(|e| e.to_string())?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse::<usize>().ok(),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                "connection" => keep = !value.eq_ignore_ascii_case("close"),
                "location" => location = Some(value.to_owned()),
                "set-cookie" => {
                    if let Some(pair) = value.split(';').next()
                        && pair.starts_with(&format!("{}=", crate::web::SESSION_COOKIE))
                    {
                        self.cookie = Some(pair.to_owned());
                    }
                }
                _ => {}
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                reader.read_line(&mut line).map_err(|e| e.to_string())?;
                let size = usize::from_str_radix(line.trim(), 16).map_err(|e| e.to_string())?;
                if size == 0 {
                    line.clear();
                    reader.read_line(&mut line).map_err(|e| e.to_string())?;
                    break;
                }
                let start = body.len();
                body.resize(start + size, 0);
                reader
                    .read_exact(&mut body[start..])
                    .map_err(|e| e.to_string())?;
                line.clear();
                reader.read_line(&mut line).map_err(|e| e.to_string())?;
            }
        } else if let Some(length) = length {
            body.resize(length, 0);
            reader.read_exact(&mut body).map_err(|e| e.to_string())?;
        } else {
            reader.read_to_end(&mut body).map_err(|e| e.to_string())?;
            keep = false;
        }
        let reply = Reply {
            status,
            body,
            location,
        };
        Ok((reply, keep))
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
