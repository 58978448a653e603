// Command healthcheck is the probe of the docker-compose healthchecks: the
// distroless runtime image has no shell, curl or wget. It GETs one URL and
// exits 0 on a 2xx answer, 1 otherwise. Kubernetes does not need it (its
// probes are httpGet).
//
//	healthcheck [URL]    (default http://127.0.0.1:8080/readyz)
//
// It imports only the standard library, so the Dockerfile builds it without
// downloading the deploy module's test dependencies.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

const defaultURL = "http://127.0.0.1:8080/readyz"

func main() {
	url := defaultURL
	if len(os.Args) > 1 {
		url = os.Args[1]
	}
	if err := probe(url, 3*time.Second); err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck:", err)
		os.Exit(1)
	}
}

func probe(url string, timeout time.Duration) error {
	c := &http.Client{Timeout: timeout}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}
