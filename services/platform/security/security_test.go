package security_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/docbatch/docbatch/services/platform/security"
)

// pki writes a CA and certificates signed by it into dir.
type pki struct {
	dir    string
	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
	caFile string
}

func newPKI(t *testing.T, name string) *pki {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name + " CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	p := &pki{dir: t.TempDir(), caCert: cert, caKey: key}
	p.caFile = p.write(t, name+"-ca.pem", "CERTIFICATE", der)
	return p
}

func (p *pki) write(t *testing.T, name, typ string, der []byte) string {
	t.Helper()
	f := filepath.Join(p.dir, name)
	if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// issue returns cert and key files for cn with organisational unit ou.
func (p *pki) issue(t *testing.T, cn, ou string, server bool) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if ou != "" {
		tmpl.Subject.OrganizationalUnit = []string{ou}
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		tmpl.DNSNames = []string{"localhost"}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return p.write(t, cn+".pem", "CERTIFICATE", der), p.write(t, cn+"-key.pem", "EC PRIVATE KEY", kder)
}

// workCalls counts calls that reached the dispatch handler.
var workCalls atomic.Int64

// dispatchDesc registers a handler under the real dispatch stream's name,
// so the authorizer's method rules are exercised as they are in production.
var dispatchDesc = grpc.ServiceDesc{
	ServiceName: "docbatch.scheduler.v1.DispatchService",
	HandlerType: (*any)(nil),
	Streams: []grpc.StreamDesc{{
		StreamName: "Work", ServerStreams: true, ClientStreams: true,
		Handler: func(any, grpc.ServerStream) error { workCalls.Add(1); return nil },
	}},
}

func serve(t *testing.T, cfg security.ServerConfig) string {
	t.Helper()
	opts, err := cfg.ServerOptions()
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(opts...)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	reflection.Register(srv)
	srv.RegisterService(&dispatchDesc, struct{}{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

func dial(t *testing.T, addr string, cfg security.ClientConfig) *grpc.ClientConn {
	t.Helper()
	opts, err := cfg.DialOptions()
	if err != nil {
		t.Fatal(err)
	}
	cc, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

// clientCall is a client-role API call (server reflection lists services).
func clientCall(cc *grpc.ClientConn) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := rpb.NewServerReflectionClient(cc).ServerReflectionInfo(ctx)
	if err != nil {
		return err
	}
	if err := st.Send(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_ListServices{}}); err != nil {
		if errors.Is(err, io.EOF) {
			// The server ended the stream (here: refused it); gRPC
			// reports why on the receive side.
			_, err = st.Recv()
		}
		return err
	}
	_, err = st.Recv()
	return err
}

// processorCall opens the dispatch stream and waits for its outcome.
func processorCall(cc *grpc.ClientConn) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := cc.NewStream(ctx, &dispatchDesc.Streams[0], "/docbatch.scheduler.v1.DispatchService/Work")
	if err != nil {
		return err
	}
	_ = st.CloseSend()
	var m healthpb.HealthCheckResponse // any message type: the handler sends none
	if err := st.RecvMsg(&m); err != nil && err.Error() != "EOF" {
		return err
	}
	return nil
}

func healthCall(cc *grpc.ClientConn) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
	return err
}

func wantCode(t *testing.T, what string, err error, code codes.Code) {
	t.Helper()
	if status.Code(err) != code {
		t.Fatalf("%s: got %v, want %s", what, err, code)
	}
}

func TestTokens(t *testing.T) {
	addr := serve(t, security.ServerConfig{ClientToken: "client-secret", ProcessorToken: "proc-secret"})
	workCalls.Store(0)

	none := dial(t, addr, security.ClientConfig{})
	wantCode(t, "health without a token", healthCall(none), codes.OK)
	wantCode(t, "client API without a token", clientCall(none), codes.Unauthenticated)
	wantCode(t, "dispatch without a token", processorCall(none), codes.Unauthenticated)

	wrong := dial(t, addr, security.ClientConfig{Token: "guess"})
	wantCode(t, "client API with a wrong token", clientCall(wrong), codes.Unauthenticated)
	wantCode(t, "dispatch with a wrong token", processorCall(wrong), codes.Unauthenticated)

	client := dial(t, addr, security.ClientConfig{Token: "client-secret"})
	wantCode(t, "client API as client", clientCall(client), codes.OK)
	wantCode(t, "dispatch as client", processorCall(client), codes.PermissionDenied)

	proc := dial(t, addr, security.ClientConfig{Token: "proc-secret"})
	wantCode(t, "client API as processor", clientCall(proc), codes.PermissionDenied)
	if workCalls.Load() != 0 {
		t.Fatalf("%d refused calls reached the dispatch handler", workCalls.Load())
	}
	wantCode(t, "dispatch as processor", processorCall(proc), codes.OK)
	if workCalls.Load() != 1 {
		t.Fatalf("dispatch handler ran %d times, want 1", workCalls.Load())
	}
}

func TestMutualTLS(t *testing.T) {
	ca, other := newPKI(t, "docbatch"), newPKI(t, "stranger")
	srvCert, srvKey := ca.issue(t, "server", "", true)
	addr := serve(t, security.ServerConfig{CertFile: srvCert, KeyFile: srvKey, ClientCAFile: ca.caFile})
	workCalls.Store(0)

	pc, pk := ca.issue(t, "proc-1", "processor", false)
	proc := dial(t, addr, security.ClientConfig{CAFile: ca.caFile, CertFile: pc, KeyFile: pk})
	wantCode(t, "dispatch with a processor certificate", processorCall(proc), codes.OK)
	wantCode(t, "client API with a processor certificate", clientCall(proc), codes.PermissionDenied)

	cc, ck := ca.issue(t, "alice", "client", false)
	client := dial(t, addr, security.ClientConfig{CAFile: ca.caFile, CertFile: cc, KeyFile: ck})
	wantCode(t, "client API with a client certificate", clientCall(client), codes.OK)

	noRole, noRoleKey := ca.issue(t, "nobody", "", false)
	wantCode(t, "certificate without a role", clientCall(dial(t, addr, security.ClientConfig{CAFile: ca.caFile, CertFile: noRole, KeyFile: noRoleKey})), codes.PermissionDenied)

	sc, sk := other.issue(t, "mallory", "processor", false)
	stranger := dial(t, addr, security.ClientConfig{CAFile: ca.caFile, CertFile: sc, KeyFile: sk})
	wantCode(t, "certificate from another CA", processorCall(stranger), codes.Unauthenticated)
	wantCode(t, "no certificate over TLS", clientCall(dial(t, addr, security.ClientConfig{CAFile: ca.caFile})), codes.Unauthenticated)
	if workCalls.Load() != 1 {
		t.Fatalf("dispatch handler ran %d times, want 1 (only the trusted processor)", workCalls.Load())
	}

	// A plaintext client cannot talk to a TLS server at all.
	if err := healthCall(dial(t, addr, security.ClientConfig{})); status.Code(err) != codes.Unavailable {
		t.Fatalf("plaintext to TLS: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []security.ServerConfig{
		{CertFile: "x.pem"},
		{ClientCAFile: "ca.pem"},
		{CertFile: "/nonexistent.pem", KeyFile: "/nonexistent-key.pem"},
	} {
		if _, err := c.ServerOptions(); err == nil {
			t.Fatalf("server config %+v accepted", c)
		}
	}
	for _, c := range []security.ClientConfig{
		{CertFile: "x.pem"},
		{CertFile: "x.pem", KeyFile: "k.pem"},
		{CAFile: "/nonexistent.pem"},
	} {
		if _, err := c.DialOptions(); err == nil {
			t.Fatalf("client config %+v accepted", c)
		}
	}
}
