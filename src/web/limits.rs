//! What one client can hold: a deadline for sending a request's body, and a cap on the
//! connections open at once from one address.
//!
//! `client_request_timeout` bounds only the head: a client that announces a 200 KB body and
//! then sends 3 bytes would hold its connection (and a worker's attention) for as long as it
//! likes. The body is therefore read under a deadline counted from the end of the head; past
//! it the answer is 408 and the connection is closed. The cap counts connections per peer
//! address at accept time; a connection over the cap gets 503 to its first request and is
//! closed. Trusted reverse proxies are not capped: every visitor behind them shares their
//! address.

use std::any::Any;
use std::cell::Cell;
use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Extensions, Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use futures_util::Stream;

use crate::app::App;
use crate::error::AppError;

/// Open connections per address, counted when a connection is accepted and when it ends.
#[derive(Debug)]
pub struct ConnectionCounter {
    counts: Mutex<HashMap<IpAddr, usize>>,
    cap: usize,
    exempt: Vec<IpAddr>,
}

/// Held by a counted connection (in its connection data); gives its place back when dropped.
struct ConnectionSlot {
    counter: Arc<ConnectionCounter>,
    ip: IpAddr,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut counts = self
            .counter
            .counts
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(n) = counts.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

/// Marks a connection accepted over its address's cap.
struct OverCap;

impl ConnectionCounter {
    /// `cap` connections at once per address (0: no cap); `exempt` addresses are not counted.
    pub fn new(cap: usize, exempt: Vec<IpAddr>) -> Arc<ConnectionCounter> {
        Arc::new(ConnectionCounter {
            counts: Mutex::new(HashMap::new()),
            cap,
            exempt,
        })
    }

    /// Open connections of `ip` now.
    pub fn open(&self, ip: IpAddr) -> usize {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.get(&ip).copied().unwrap_or(0)
    }
}

/// The server's `on_connect` hook: counts the connection, or marks it over the cap.
pub fn on_connect(
    counter: Arc<ConnectionCounter>,
) -> impl Fn(&dyn Any, &mut Extensions) + Send + Sync + 'static {
    move |io, extensions| {
        if counter.cap == 0 {
            return;
        }
        let Some(stream) = io.downcast_ref::<actix_web::rt::net::TcpStream>() else {
            return;
        };
        let Ok(peer) = stream.peer_addr() else {
            return;
        };
        let ip = peer.ip();
        if counter.exempt.contains(&ip) {
            return;
        }
        let mut counts = counter.counts.lock().unwrap_or_else(|e| e.into_inner());
        let open = counts.entry(ip).or_insert(0);
        if *open >= counter.cap {
            drop(counts);
            tracing::info!(%ip, cap = counter.cap, "refused a connection over the per-address cap");
            extensions.insert(OverCap);
            return;
        }
        *open += 1;
        drop(counts);
        extensions.insert(ConnectionSlot {
            counter: counter.clone(),
            ip,
        });
    }
}

/// A request body that fails once its deadline passed.
struct BodyWithDeadline {
    inner: Payload,
    deadline: Pin<Box<actix_web::rt::time::Sleep>>,
    expired: Rc<Cell<bool>>,
}

impl Stream for BodyWithDeadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.expired.get() {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut this.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            this.expired.set(true);
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body did not arrive in time",
            )))));
        }
        Poll::Pending
    }
}

/// Middleware: refuses requests of a connection over the cap, and reads bodies under the
/// deadline of the configuration.
pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.conn_data::<OverCap>().is_some() {
        let mut res = req.error_response(AppError::Denied {
            status: 503,
            message_key: "hostile.too_many_connections",
        });
        res.response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
        return Ok(res.map_into_boxed_body());
    }
    // Pages are asked for without a body; no handler reads one there, so no timer either.
    if matches!(
        *req.method(),
        actix_web::http::Method::GET | actix_web::http::Method::HEAD
    ) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let seconds = req
        .app_data::<web::Data<App>>()
        .map(|s| s.config.body_read_seconds)
        .unwrap_or(crate::config::DEFAULT_BODY_READ_SECONDS);
    let expired = Rc::new(Cell::new(false));
    let body = BodyWithDeadline {
        inner: req.take_payload(),
        deadline: Box::pin(actix_web::rt::time::sleep(Duration::from_secs(seconds))),
        expired: expired.clone(),
    };
    req.set_payload(Payload::Stream {
        payload: Box::pin(body),
    });
    let res = next.call(req).await?.map_into_boxed_body();
    if !expired.get() {
        return Ok(res);
    }
    tracing::info!(
        path = res.request().path(),
        "a request body did not arrive within {seconds} s"
    );
    let (req, _) = res.into_parts();
    let mut answer: HttpResponse = AppError::Denied {
        status: 408,
        message_key: "hostile.body_timeout",
    }
    .error_response();
    answer.head_mut().set_connection_type(ConnectionType::Close);
    Ok(ServiceResponse::new(req, answer).map_into_boxed_body())
}
