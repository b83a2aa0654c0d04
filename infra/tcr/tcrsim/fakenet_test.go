package tcrsim

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
)

// fakeNet is an in-memory network of named listeners over net.Pipe. A
// testing/synctest bubble only advances its clock when every goroutine is
// durably blocked, which a goroutine blocked on a real socket never is.
type fakeNet struct {
	mu        sync.Mutex
	listeners map[string]*pipeListener
}

func newFakeNet() *fakeNet { return &fakeNet{listeners: map[string]*pipeListener{}} }

// listen returns a listener reachable at addr ("host:port").
func (n *fakeNet) listen(addr string) *pipeListener {
	l := &pipeListener{addr: pipeAddr(addr), conns: make(chan net.Conn), done: make(chan struct{})}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.listeners[addr] = l
	return l
}

func (n *fakeNet) dial(ctx context.Context, _, addr string) (net.Conn, error) {
	n.mu.Lock()
	l, ok := n.listeners[addr]
	n.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("dial %s: connection refused", addr)
	}
	server, client := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, fmt.Errorf("dial %s: connection refused", addr)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// client returns an HTTP client on this network, and a function that closes
// its idle connections.
func (n *fakeNet) client() (*http.Client, func()) {
	tr := &http.Transport{DialContext: n.dial}
	return &http.Client{Transport: tr}, tr.CloseIdleConnections
}

type pipeListener struct {
	addr  pipeAddr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return l.addr }

type pipeAddr string

func (a pipeAddr) Network() string { return "pipe" }
func (a pipeAddr) String() string  { return string(a) }
