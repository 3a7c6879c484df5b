// R7x2 http-server: hyper 0.14 serving a 1,024-byte body at /1k on a
// two-thread tokio runtime (the work-stealing scheduler over both cores).
// Built in the peer harness's Cargo project: copy to peers/rust/src/bin/.
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

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let port: u16 = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(18090);
    let addr = ([127, 0, 0, 1], port).into();
    let make = make_service_fn(|_conn| async { Ok::<_, Infallible>(service_fn(one_k)) });
    Server::bind(&addr).serve(make).await.unwrap();
}
