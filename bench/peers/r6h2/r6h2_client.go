// R6 over HTTP/2: 200,000 GETs of /1k with 100 streams in flight on one
// HTTP/2 connection (http:// URLs: cleartext with prior knowledge; https://:
// TLS, the certificate not checked), net/http with x/net's
// http2.Transport (Debian's golang-golang-x-net-dev). Build:
//   GOPATH=/usr/share/gocode GO111MODULE=off go build -o r6h2_client r6h2_client.go
package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http2"
)

func main() {
	url := "http://127.0.0.1:18080/1k"
	n := 200000
	if len(os.Args) > 1 {
		url = os.Args[1]
	}
	if len(os.Args) > 2 {
		n, _ = strconv.Atoi(os.Args[2])
	}
	tr := &http2.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	if strings.HasPrefix(url, "http:") {
		tr.AllowHTTP = true
		tr.DialTLS = func(network, addr string, _ *tls.Config) (net.Conn, error) {
			return net.Dial(network, addr)
		}
	}
	client := &http.Client{Transport: tr}
	const streams = 100
	t0 := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < streams; w++ {
		count := n / streams
		if w < n%streams {
			count++
		}
		wg.Add(1)
		go func(count int) {
			defer wg.Done()
			for i := 0; i < count; i++ {
				resp, err := client.Get(url)
				if err != nil {
					panic(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || len(body) != 1024 {
					panic("bad response")
				}
			}
		}(count)
	}
	wg.Wait()
	dt := time.Since(t0).Seconds()
	fmt.Printf("RESULT %.6f req/s secs=%.3f\n", float64(n)/dt, dt)
}
