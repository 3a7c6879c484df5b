// R7 over HTTP/2: net/http serving a 1,024-byte body at /1k over cleartext
// HTTP/2 with prior knowledge (golang.org/x/net/http2/h2c, Debian's
// golang-golang-x-net-dev). Build:
//   GOPATH=/usr/share/gocode GO111MODULE=off go build -o r7h2_server r7h2_server.go
package main

import (
	"bytes"
	"net/http"
	"os"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
)

func main() {
	port := "18090"
	if len(os.Args) > 1 {
		port = os.Args[1]
	}
	body := bytes.Repeat([]byte("x"), 1024)
	mux := http.NewServeMux()
	mux.HandleFunc("/1k", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(body)
	})
	srv := &http.Server{Addr: "127.0.0.1:" + port, Handler: h2c.NewHandler(mux, &http2.Server{})}
	if err := srv.ListenAndServe(); err != nil {
		panic(err)
	}
}
