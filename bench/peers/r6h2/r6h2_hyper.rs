// R6 over HTTP/2: 200,000 GETs of /1k with 100 streams in flight on one
// cleartext HTTP/2 connection (prior knowledge), hyper 0.14 client with
// http2_only, one-thread tokio runtime.
// Build: copy to the peer harness's rust/src/bin/, add "http2" to hyper's
// features in its Cargo.toml, cargo build --release --bin r6h2_hyper.
use std::time::Instant;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url: hyper::Uri = args.get(1).map(|s| s.as_str()).unwrap_or("http://127.0.0.1:18080/1k").parse().unwrap();
    let n: usize = args.get(2).map(|s| s.parse().unwrap()).unwrap_or(200_000);
    let streams = 100;
    let client = hyper::Client::builder().http2_only(true).build_http::<hyper::Body>();
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..streams {
        let (client, url) = (client.clone(), url.clone());
        let count = n / streams + usize::from(w < n % streams);
        tasks.push(tokio::spawn(async move {
            for _ in 0..count {
                let resp = client.get(url.clone()).await.unwrap();
                assert!(resp.status() == 200);
                let body = hyper::body::to_bytes(resp.into_body()).await.unwrap();
                assert!(body.len() == 1024);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let dt = t0.elapsed().as_secs_f64();
    println!("RESULT {:.6} req/s secs={:.3}", n as f64 / dt, dt);
}
