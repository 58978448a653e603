package redistest

// StartProcess starts a redis-server outside a test (benchmarks, demos) with
// the same options as Start: a private data directory and a unix socket (or
// a loopback port with WithTCP). The caller must Close it. Restart panics on
// a failure instead of failing a test.
func StartProcess(opts ...Option) (*Server, error) {
	s, err := newServer(opts)
	if err != nil {
		return nil, err
	}
	if err := s.start(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}
