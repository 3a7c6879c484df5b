// R7 over HTTP/2: hyper 0.14 (h2 0.3) serving a 1,024-byte body at /1k over
// cleartext HTTP/2 with prior knowledge (http2_only), one-thread tokio runtime.
// Build: copy to the peer harness's rust/src/bin/, add "http2" to hyper's
// features in its Cargo.toml, cargo build --release --bin r7h2_hyper.
use hyper::service::{make_service_fn, service_fn};
use hyper::{Body, Request, Response, Server};
use std::convert::Infallible;

static BODY: [u8; 1024] = [b'x'; 1024];

async fn one_k(_req: Request<Body>) -> Result<Response<Body>, Infallible> {
    Ok(Response::builder()
        .header("content-type", "application/octet-stream")
        .body(Body::from(&BODY[..]))
        .unwrap())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let port: u16 = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(18090);
    let addr = ([127, 0, 0, 1], port).into();
    let make = make_service_fn(|_conn| async { Ok::<_, Infallible>(service_fn(one_k)) });
    Server::bind(&addr).http2_only(true).serve(make).await.unwrap();
}
