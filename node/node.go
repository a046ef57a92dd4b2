// Package node runs all of docbatch in one process: an embedded NATS server
// (or a connection to an external one), the scheduler, resolver and
// citations services on one gRPC server, and in-process processors that
// reach the scheduler over an in-memory connection. It is what
// `docbatch run` and `docbatch serve` start.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/test/bufconn"

	citsvc "github.com/docbatch/docbatch/services/citations/service"
	"github.com/docbatch/docbatch/services/platform/grpcserver"
	"github.com/docbatch/docbatch/services/platform/natsbus"
	"github.com/docbatch/docbatch/services/platform/security"
	procsvc "github.com/docbatch/docbatch/services/processor/service"
	ressvc "github.com/docbatch/docbatch/services/resolver/service"
	schedsvc "github.com/docbatch/docbatch/services/scheduler/service"
)

// Config configures a node.
type Config struct {
	// StateDir holds the embedded NATS file store (and so every batch).
	StateDir string
	// Listen is the gRPC address for other clients; "" serves in-process only.
	Listen string
	// Security guards the Listen address (TLS, tokens, client
	// certificates). The in-process connection the node's own processors
	// and commands use never leaves the process and is served apart.
	Security security.ServerConfig
	// NATSURL selects an external NATS; "" starts the embedded server.
	NATSURL string
	// NATSCredentials authenticate to an external NATS.
	NATSCredentials natsbus.Credentials
	// NATSListen exposes the embedded server ("host:port"); "" keeps it
	// in-process.
	NATSListen string
	// SyncAlways fsyncs every JetStream write (see docs/operations.md).
	SyncAlways bool
	// Processors is how many in-process processors to run.
	Processors int
	Scheduler  schedsvc.Config
	Processor  procsvc.Config
	Resolver   ressvc.Config
	Citations  citsvc.Config
	Log        *slog.Logger
}

// Node is a running all-in-one docbatch.
type Node struct {
	cfg     Config
	log     *slog.Logger
	ns      *server.Server
	nc      *nats.Conn
	js      jetstream.JetStream
	srv     *grpcserver.Server // on Listen, with Security
	inner   *grpcserver.Server // on bufLis, in-process only
	bufLis  *bufconn.Listener
	tcpLis  net.Listener
	conn    *grpc.ClientConn
	cancel  context.CancelFunc
	group   *errgroup.Group
	Sched   *schedsvc.Service
	Res     *ressvc.Service
	Cit     *citsvc.Service
	stopped bool
}

// Start brings every service up and returns once they serve.
func Start(ctx context.Context, cfg Config) (_ *Node, err error) {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	n := &Node{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			n.teardown()
		}
	}()
	if cfg.NATSURL == "" {
		if cfg.StateDir == "" {
			return nil, errors.New("a state directory is required for the embedded NATS server")
		}
		host, port, err := splitHostPort(cfg.NATSListen)
		if err != nil {
			return nil, fmt.Errorf("nats listen address: %w", err)
		}
		store := filepath.Join(cfg.StateDir, "nats")
		if err := os.MkdirAll(store, 0o755); err != nil {
			return nil, fmt.Errorf("creating state dir: %w", err)
		}
		n.ns, err = natsbus.StartEmbedded(natsbus.EmbeddedOptions{StoreDir: store, Host: host, Port: port, SyncAlways: cfg.SyncAlways})
		if err != nil {
			return nil, err
		}
		if port != 0 {
			log.Info("embedded nats listening", "url", n.ns.ClientURL())
		}
	}
	n.nc, err = natsbus.Dialer{URL: cfg.NATSURL, Embedded: n.ns, Credentials: cfg.NATSCredentials, Log: log}.Connect("docbatch-node")
	if err != nil {
		return nil, err
	}
	n.js, err = jetstream.New(n.nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	if n.Sched, err = schedsvc.New(ctx, cfg.Scheduler, schedsvc.Deps{NATS: n.nc, Log: log.With("component", "scheduler")}); err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	if n.Res, err = ressvc.New(ctx, cfg.Resolver, ressvc.Deps{NATS: n.nc, Log: log.With("component", "resolver")}); err != nil {
		return nil, fmt.Errorf("resolver: %w", err)
	}
	// The in-process connection exists before the server serves on it
	// (dialing is lazy), so the citations service can ask the scheduler and
	// the resolver next to it for its batch reports.
	n.bufLis = bufconn.Listen(4 << 20)
	n.conn, err = grpcserver.Dial("passthrough:///in-process", grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
		return n.bufLis.DialContext(ctx)
	}))
	if err != nil {
		return nil, err
	}
	citDeps := citsvc.Deps{NATS: n.nc, Log: log.With("component", "citations"), Scheduler: n.conn, Resolver: n.conn}
	if n.Cit, err = citsvc.New(ctx, cfg.Citations, citDeps); err != nil {
		return nil, fmt.Errorf("citations: %w", err)
	}
	secOpts, err := cfg.Security.ServerOptions()
	if err != nil {
		return nil, err
	}
	var names []string
	names = append(names, n.Sched.HealthNames()...)
	names = append(names, n.Res.HealthNames()...)
	names = append(names, n.Cit.HealthNames()...)
	n.srv, n.inner = grpcserver.New(log, secOpts...), grpcserver.New(log)
	for _, srv := range []*grpcserver.Server{n.srv, n.inner} {
		n.Sched.Register(srv.GRPC)
		n.Res.Register(srv.GRPC)
		n.Cit.Register(srv.GRPC)
		srv.SetServing(names...)
	}

	if cfg.Listen != "" {
		if n.tcpLis, err = grpcserver.Listen(cfg.Listen); err != nil {
			return nil, err
		}
	}

	rctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	g, gctx := errgroup.WithContext(rctx)
	n.group = g
	g.Go(func() error {
		err := n.inner.GRPC.Serve(n.bufLis)
		if errors.Is(err, grpc.ErrServerStopped) {
			return nil
		}
		return err
	})
	if n.tcpLis != nil {
		g.Go(func() error { return n.srv.Serve(gctx, n.tcpLis, 3*time.Second) })
		if cfg.NATSURL != "" { // an embedded server cannot be unreachable
			g.Go(func() error { n.srv.Follow(gctx, "nats", n.nc.IsConnected, names...); return nil })
		}
	}
	g.Go(func() error { <-gctx.Done(); n.inner.Health.Shutdown(); n.inner.GRPC.Stop(); return nil })
	g.Go(func() error { return n.Sched.Run(gctx) })
	g.Go(func() error { return n.Res.Run(gctx) })
	g.Go(func() error { return n.Cit.Run(gctx) })
	for i := range cfg.Processors {
		pc := cfg.Processor
		if pc.ID == "" {
			host, _ := os.Hostname()
			pc.ID = host + "-" + strconv.Itoa(os.Getpid())
		}
		if cfg.Processors > 1 {
			pc.ID += "-" + strconv.Itoa(i+1)
		}
		p, err := procsvc.New(ctx, pc, procsvc.Deps{NATS: n.nc, Dispatch: n.conn, Log: log.With("component", "processor", "processor", pc.ID)})
		if err != nil {
			cancel()
			_ = g.Wait()
			return nil, fmt.Errorf("processor: %w", err)
		}
		g.Go(func() error { return p.Run(gctx) })
	}
	return n, nil
}

func splitHostPort(addr string) (string, int, error) {
	if addr == "" {
		return "127.0.0.1", 0, nil
	}
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, fmt.Errorf("port %q: %w", p, err)
	}
	if port == 0 {
		port = -1 // any free port
	}
	return host, port, nil
}

// Conn is an in-process client connection to every service.
func (n *Node) Conn() *grpc.ClientConn { return n.conn }

// JetStream is the node's JetStream context.
func (n *Node) JetStream() jetstream.JetStream { return n.js }

// Addr is the TCP address gRPC listens on, "" when in-process only.
func (n *Node) Addr() string {
	if n.tcpLis == nil {
		return ""
	}
	return n.tcpLis.Addr().String()
}

// NATSURL is the URL of the embedded server when it listens.
func (n *Node) NATSURL() string {
	if n.ns == nil || n.cfg.NATSListen == "" {
		return n.cfg.NATSURL
	}
	return n.ns.ClientURL()
}

// Wait blocks until a service fails or the node is stopped.
func (n *Node) Wait() error { return n.group.Wait() }

// Stop shuts everything down in order: services, then NATS.
func (n *Node) Stop() error {
	if n.stopped {
		return nil
	}
	n.stopped = true
	n.cancel()
	err := n.group.Wait()
	n.teardown()
	return err
}

func (n *Node) teardown() {
	if n.conn != nil {
		_ = n.conn.Close()
	}
	if n.nc != nil {
		// Drain before the embedded server goes away under the connection.
		if err := natsbus.Drain(n.nc, 5*time.Second); err != nil {
			n.log.Warn("closing nats", "err", err)
		}
	}
	if n.ns != nil {
		n.ns.Shutdown()
		n.ns.WaitForShutdown()
	}
}
