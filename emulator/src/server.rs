//! The accept loop. It drives hyper directly, rather than through `axum::serve`, so that a fault can
//! close a connection without any response, which a handler alone cannot do.

use std::sync::Arc;

use axum::extract::{ConnectInfo, Request};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tower::ServiceExt;

use super::State;

/// Put in every request's extensions: notifying it closes the request's connection at once.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionKill(pub Arc<Notify>);

/// Serves until the returned sender sends `true` (or is dropped).
pub(crate) fn serve(
    listener: TcpListener,
    state: Arc<State>,
) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = watch::channel(false);
    let router = super::routes::router(state);
    let task = tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = rx.changed() => break,
            };
            let Ok((stream, peer)) = accepted else {
                // Out of file descriptors or similar: back off briefly instead of spinning.
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            };
            let _ = stream.set_nodelay(true);
            let kill = Arc::new(Notify::new());
            let kill_for_requests = kill.clone();
            let service =
                router
                    .clone()
                    .map_request(move |mut request: Request<hyper::body::Incoming>| {
                        let extensions = request.extensions_mut();
                        extensions.insert(ConnectionKill(kill_for_requests.clone()));
                        // The client's address, for the per-client rate limit (`cluster.rs`).
                        extensions.insert(ConnectInfo(peer));
                        request
                    });
            let mut shutdown = rx.clone();
            tokio::spawn(async move {
                let connection = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
                tokio::select! {
                    _ = connection => {}
                    _ = kill.notified() => {}
                    _ = shutdown.changed() => {}
                }
            });
        }
    });
    (tx, task)
}
