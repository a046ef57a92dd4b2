// Package natsbus is docbatch's NATS plumbing: connecting (to a URL or to the
// embedded server in-process), the names and configurations of the JetStream
// streams, buckets and object stores the services share, and trace-context
// propagation through message headers.
package natsbus

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
)

// Names of the shared JetStream resources.
const (
	// ResultsStream holds one DocumentResult per (batch, document) on
	// subject ResultsSubjectPrefix + <batch>.
	ResultsStream        = "DOCBATCH_RESULTS"
	ResultsSubjectPrefix = "docbatch.results."
	// TextObjectStore holds full texts too large to inline in a result.
	TextObjectStore = "docbatch-text"
)

// Dialer says how to reach NATS: an embedded server (in-process, no socket)
// or a URL.
type Dialer struct {
	URL         string
	Embedded    *server.Server
	Credentials Credentials
	Log         *slog.Logger
}

// Credentials authenticate a connection to NATS and verify the server: a
// .creds file (JWT and nkey), an nkey seed file, or a user and password;
// and TLS with a CA, optionally with a client certificate.
type Credentials struct {
	CredsFile, NKeyFile string
	User, Password      string
	CAFile              string
	CertFile, KeyFile   string
}

// RegisterFlags binds the NATS credential flags.
func (c *Credentials) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.CredsFile, "nats-creds", "", "NATS .creds file (user JWT and nkey seed)")
	fs.StringVar(&c.NKeyFile, "nats-nkey", "", "NATS nkey seed file")
	fs.StringVar(&c.User, "nats-user", "", "NATS user name")
	fs.StringVar(&c.Password, "nats-password", "", "NATS password")
	fs.StringVar(&c.CAFile, "nats-tls-ca", "", "PEM CA to verify the NATS server with (enables TLS)")
	fs.StringVar(&c.CertFile, "nats-tls-cert", "", "PEM client certificate for NATS mutual TLS")
	fs.StringVar(&c.KeyFile, "nats-tls-key", "", "PEM private key for --nats-tls-cert")
}

// options turns the credentials into connection options.
func (c Credentials) options() ([]nats.Option, error) {
	var opts []nats.Option
	if c.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(c.CredsFile))
	}
	if c.NKeyFile != "" {
		o, err := nats.NkeyOptionFromSeed(c.NKeyFile)
		if err != nil {
			return nil, fmt.Errorf("reading nkey seed %s: %w", c.NKeyFile, err)
		}
		opts = append(opts, o)
	}
	if c.User != "" || c.Password != "" {
		opts = append(opts, nats.UserInfo(c.User, c.Password))
	}
	if c.CAFile != "" {
		opts = append(opts, nats.RootCAs(c.CAFile))
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return nil, errors.New("--nats-tls-cert and --nats-tls-key go together")
	}
	if c.CertFile != "" {
		opts = append(opts, nats.ClientCert(c.CertFile, c.KeyFile))
	}
	return opts, nil
}

// Connect opens a connection that reconnects forever: services wait for NATS
// rather than die when it goes away.
func (d Dialer) Connect(name string) (*nats.Conn, error) {
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	opts := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.RetryOnFailedConnect(true),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("nats reconnected", "url", c.ConnectedUrl()) }),
	}
	creds, err := d.Credentials.options()
	if err != nil {
		return nil, err
	}
	opts = append(opts, creds...)
	url := d.URL
	if d.Embedded != nil {
		opts = append(opts, nats.InProcessServer(d.Embedded))
		url = ""
	}
	if url == "" && d.Embedded == nil {
		url = nats.DefaultURL
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to nats %q: %w", url, err)
	}
	return nc, nil
}

// StreamOptions tune the shared streams for the deployment.
type StreamOptions struct {
	// Replicas for streams and buckets: 1 on one machine, 3 on a cluster.
	Replicas int
}

func (o StreamOptions) replicas() int {
	if o.Replicas <= 0 {
		return 1
	}
	return o.Replicas
}

// EnsureResults creates or updates the results stream and the text object
// store. Every service calls it, so none depends on start-up order. It
// retries while the cluster forms (WhileForming).
func EnsureResults(ctx context.Context, js jetstream.JetStream, o StreamOptions) (st jetstream.Stream, err error) {
	err = WhileForming(ctx, func() error {
		st, err = ensureResults(ctx, js, o)
		return err
	})
	return st, err
}

// WhileForming runs op until it succeeds, fails for a reason other than a
// JetStream cluster still forming, a minute has passed, or ctx ends.
//
// On a cluster that is still electing its leaders (every service starting
// at once) the JetStream API times out or has no responders for a while,
// and a replicated stream just created may answer its first direct gets
// with no responders; a service retries with backoff rather than fail its
// start.
func WhileForming(ctx context.Context, op func() error) error {
	deadline := time.Now().Add(time.Minute)
	backoff := 100 * time.Millisecond
	for {
		err := op()
		if err == nil || !transientJS(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// OpenKeyValue creates or updates a bucket and waits until it answers
// reads, retrying while the cluster forms (WhileForming).
func OpenKeyValue(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (kv jetstream.KeyValue, err error) {
	err = WhileForming(ctx, func() error {
		if kv, err = js.CreateOrUpdateKeyValue(ctx, cfg); err != nil {
			return fmt.Errorf("ensuring bucket %s: %w", cfg.Bucket, err)
		}
		// A key that never exists: the answer, not the value, is the point.
		if _, err := kv.Get(ctx, "docbatch-ready-probe"); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return fmt.Errorf("reading bucket %s: %w", cfg.Bucket, err)
		}
		return nil
	})
	return kv, err
}

// transientJS reports errors that a JetStream cluster still forming gives.
func transientJS(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrJetStreamNotEnabled) ||
		errors.Is(err, nats.ErrJetStreamNotEnabled) || strings.Contains(err.Error(), "temporarily unavailable") ||
		strings.Contains(err.Error(), "insufficient resources")
}

func ensureResults(ctx context.Context, js jetstream.JetStream, o StreamOptions) (jetstream.Stream, error) {
	st, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        ResultsStream,
		Description: "docbatch per-document extraction results",
		Subjects:    []string{ResultsSubjectPrefix + ">"},
		Storage:     jetstream.FileStorage,
		Replicas:    o.replicas(),
		// Publish dedup by Nats-Msg-Id over this window; consumers are
		// idempotent by (batch, document) beyond it.
		Duplicates: 10 * time.Minute,
		MaxMsgSize: 8 << 20,
	})
	if err != nil {
		return nil, fmt.Errorf("ensuring stream %s: %w", ResultsStream, err)
	}
	if _, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      TextObjectStore,
		Description: "full texts of documents too large to inline in a result",
		Storage:     jetstream.FileStorage,
		Replicas:    o.replicas(),
	}); err != nil {
		return nil, fmt.Errorf("ensuring object store %s: %w", TextObjectStore, err)
	}
	return st, nil
}

// ResultSubject is the subject a batch's results are published on.
func ResultSubject(batchID string) string { return ResultsSubjectPrefix + batchID }

// DocKey is a NATS-safe key for (batch, document): document ids are free
// text (paths), so they are hashed; the batch id is kept readable so a
// bucket can be listed by batch.
func DocKey(batchID, documentID string) string {
	h := sha256.Sum256([]byte(documentID))
	return batchID + "." + hex.EncodeToString(h[:16])
}

// MsgID is the Nats-Msg-Id of a document's result.
func MsgID(batchID, documentID string) string { return "result/" + DocKey(batchID, documentID) }

// headerCarrier adapts nats.Header to the OpenTelemetry propagator.
type headerCarrier nats.Header

func (c headerCarrier) Get(k string) string { return nats.Header(c).Get(k) }
func (c headerCarrier) Set(k, v string)     { nats.Header(c).Set(k, v) }
func (c headerCarrier) Keys() []string {
	out := make([]string, 0, len(c))
	for k := range c {
		out = append(out, k)
	}
	return out
}

// InjectTrace writes ctx's trace context into h.
func InjectTrace(ctx context.Context, h nats.Header) {
	otel.GetTextMapPropagator().Inject(ctx, headerCarrier(h))
}

// ExtractTrace returns ctx carrying the trace context found in h.
func ExtractTrace(ctx context.Context, h nats.Header) context.Context {
	return otel.GetTextMapPropagator().Extract(ctx, headerCarrier(h))
}

// MapCarrier is a propagation carrier over a plain map, for trace context
// carried inside protobuf messages (e.g. an assignment).
type MapCarrier = propagation.MapCarrier

// Drain flushes what the connection still has to send and waits, at most
// timeout, for it to close (nats.Conn.Drain itself returns at once), so a
// process does not exit or stop its embedded server under it.
func Drain(nc *nats.Conn, timeout time.Duration) error {
	if nc.IsClosed() {
		return nil
	}
	closed := make(chan struct{})
	nc.SetClosedHandler(func(*nats.Conn) { close(closed) })
	if err := nc.Drain(); err != nil {
		nc.Close()
		return fmt.Errorf("draining nats: %w", err)
	}
	select {
	case <-closed:
		return nil
	case <-time.After(timeout):
		nc.Close()
		return fmt.Errorf("draining nats: not closed after %s", timeout)
	}
}
