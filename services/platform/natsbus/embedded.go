package natsbus

import (
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// EmbeddedOptions configure the in-process NATS server of the all-in-one
// binary.
type EmbeddedOptions struct {
	// StoreDir holds the JetStream file store; it survives restarts, which is
	// what makes `docbatch run` resumable.
	StoreDir string
	// Host and Port to listen on for outside clients; Port -1 picks a free
	// one, 0 disables the listener (in-process clients only).
	Host string
	Port int
	// SyncAlways fsyncs every JetStream write before acknowledging it
	// (sync_interval: always). Off means the server's 2-minute default.
	SyncAlways bool
}

// StartEmbedded starts a JetStream-enabled server and waits until it takes
// connections. NoSigs is set: the server must not install signal handlers
// that os.Exit before the process's own shutdown runs.
func StartEmbedded(o EmbeddedOptions) (*server.Server, error) {
	if o.StoreDir == "" {
		return nil, errors.New("embedded nats: store dir is required")
	}
	host := o.Host
	if host == "" {
		host = "127.0.0.1"
	}
	opts := &server.Options{
		ServerName: "docbatch-embedded",
		Host:       host,
		Port:       o.Port,
		DontListen: o.Port == 0,
		JetStream:  true,
		StoreDir:   o.StoreDir,
		NoSigs:     true,
		NoLog:      true,
		MaxPayload: 8 << 20,
		SyncAlways: o.SyncAlways,
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("embedded nats: not ready after 30s")
	}
	return ns, nil
}
