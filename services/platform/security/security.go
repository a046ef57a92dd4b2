// Package security is transport security and authorisation for every
// docbatch gRPC server and client: TLS and mutual TLS from certificate
// files, and an identity check that lets processors reach only the
// dispatch stream while clients reach everything else.
//
// An identity is a bearer token ("authorization: Bearer …" metadata) or a
// client certificate signed by the configured client CA, whose subject
// organisational unit names its role ("processor" or "client"). With no
// tokens and no client CA configured, every caller is allowed: the local,
// single-machine default.
package security

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// Role is what an identity may do.
type Role string

// Roles.
const (
	RoleClient    Role = "client"
	RoleProcessor Role = "processor"
)

// ProcessorMethods are the only methods a processor may call: the dispatch
// stream it takes work on.
var ProcessorMethods = []string{"/docbatch.scheduler.v1.DispatchService/Work"}

// openPrefixes need no identity: orchestrators probe health without
// credentials.
var openPrefixes = []string{"/grpc.health.v1.Health/"}

// ServerConfig is a server's TLS and authorisation settings.
type ServerConfig struct {
	// CertFile and KeyFile enable TLS.
	CertFile, KeyFile string
	// ClientCAFile enables mutual TLS: client certificates signed by it are
	// identities, their OU naming the role.
	ClientCAFile string
	// ClientToken and ProcessorToken are accepted bearer tokens.
	ClientToken, ProcessorToken string
}

// RegisterFlags binds the server settings (each also DOCBATCH_* in the
// environment through flagenv; token values are masked in logs).
func (c *ServerConfig) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.CertFile, "tls-cert", "", "PEM certificate for TLS on the gRPC server (with --tls-key)")
	fs.StringVar(&c.KeyFile, "tls-key", "", "PEM private key for --tls-cert")
	fs.StringVar(&c.ClientCAFile, "tls-client-ca", "", "PEM CA whose client certificates are accepted as identities (mutual TLS; OU=processor or OU=client)")
	fs.StringVar(&c.ClientToken, "client-token", "", "bearer token accepted for client APIs")
	fs.StringVar(&c.ProcessorToken, "processor-token", "", "bearer token accepted for processors (dispatch stream only)")
}

// authEnabled reports whether callers must identify themselves.
func (c ServerConfig) authEnabled() bool {
	return c.ClientToken != "" || c.ProcessorToken != "" || c.ClientCAFile != ""
}

// ServerOptions returns the credentials and interceptors for c.
func (c ServerConfig) ServerOptions() ([]grpc.ServerOption, error) {
	var opts []grpc.ServerOption
	var pool *x509.CertPool
	if (c.CertFile == "") != (c.KeyFile == "") {
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	if c.ClientCAFile != "" {
		if c.CertFile == "" {
			return nil, errors.New("--tls-client-ca needs --tls-cert and --tls-key: mutual TLS is TLS first")
		}
		var err error
		if pool, err = loadPool(c.ClientCAFile); err != nil {
			return nil, err
		}
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("loading TLS key pair %s / %s: %w", c.CertFile, c.KeyFile, err)
		}
		cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if pool != nil {
			// The chain is verified by the interceptor, not the
			// handshake, so that a certificate from another CA is refused
			// with Unauthenticated and a reason instead of a bare reset.
			cfg.ClientAuth = tls.RequestClientCert
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(cfg)))
	}
	if c.authEnabled() {
		a := &authorizer{cfg: c, pool: pool}
		opts = append(opts, grpc.ChainUnaryInterceptor(a.unary), grpc.ChainStreamInterceptor(a.stream))
	}
	return opts, nil
}

func loadPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading CA %s: %w", file, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", file)
	}
	return pool, nil
}

type authorizer struct {
	cfg  ServerConfig
	pool *x509.CertPool
}

func (a *authorizer) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
	if err := a.check(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	return next(ctx, req)
}

func (a *authorizer) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, next grpc.StreamHandler) error {
	if err := a.check(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	return next(srv, ss)
}

// check finds the caller's role and whether it may call method.
func (a *authorizer) check(ctx context.Context, method string) error {
	for _, p := range openPrefixes {
		if strings.HasPrefix(method, p) {
			return nil
		}
	}
	role, err := a.identify(ctx)
	if err != nil {
		return err
	}
	processorMethod := slices.Contains(ProcessorMethods, method)
	switch {
	case role == RoleProcessor && !processorMethod:
		return status.Errorf(codes.PermissionDenied, "processors may call only the dispatch stream, not %s", method)
	case role == RoleClient && processorMethod:
		return status.Errorf(codes.PermissionDenied, "%s is for processors; this identity is a client", method)
	}
	return nil
}

func (a *authorizer) identify(ctx context.Context) (Role, error) {
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if vals := md.Get("authorization"); len(vals) > 0 {
			tok, ok := strings.CutPrefix(vals[0], "Bearer ")
			if !ok {
				return "", status.Error(codes.Unauthenticated, `the authorization metadata is not "Bearer <token>"`)
			}
			switch {
			case a.cfg.ClientToken != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(a.cfg.ClientToken)) == 1:
				return RoleClient, nil
			case a.cfg.ProcessorToken != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(a.cfg.ProcessorToken)) == 1:
				return RoleProcessor, nil
			}
			return "", status.Error(codes.Unauthenticated, "the bearer token is not valid")
		}
	}
	if a.pool != nil {
		if p, ok := peer.FromContext(ctx); ok {
			if ti, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(ti.State.PeerCertificates) > 0 {
				return a.certRole(ti.State.PeerCertificates)
			}
		}
	}
	return "", status.Error(codes.Unauthenticated, "no credentials: send a bearer token or a client certificate")
}

func (a *authorizer) certRole(chain []*x509.Certificate) (Role, error) {
	leaf := chain[0]
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: a.pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return "", status.Errorf(codes.Unauthenticated, "client certificate %q is not trusted: %v", leaf.Subject.CommonName, err)
	}
	for _, ou := range leaf.Subject.OrganizationalUnit {
		switch Role(ou) {
		case RoleProcessor, RoleClient:
			return Role(ou), nil
		}
	}
	return "", status.Errorf(codes.PermissionDenied, "client certificate %q names no role (OU=processor or OU=client)", leaf.Subject.CommonName)
}

// ClientConfig is a client's TLS and identity settings.
type ClientConfig struct {
	// CAFile enables TLS, trusting servers signed by it.
	CAFile string
	// CertFile and KeyFile are the client certificate for mutual TLS.
	CertFile, KeyFile string
	// ServerName overrides the name checked in the server's certificate.
	ServerName string
	// Token is sent as a bearer token.
	Token string
}

// RegisterFlags binds the client settings under prefix ("" or e.g.
// "scheduler-" for a processor's connection to the scheduler).
func (c *ClientConfig) RegisterFlags(fs *flag.FlagSet, prefix string) {
	fs.StringVar(&c.CAFile, prefix+"tls-ca", "", "PEM CA to verify the server with (enables TLS)")
	fs.StringVar(&c.CertFile, prefix+"tls-client-cert", "", "PEM client certificate for mutual TLS")
	fs.StringVar(&c.KeyFile, prefix+"tls-client-key", "", "PEM private key for the client certificate")
	fs.StringVar(&c.ServerName, prefix+"tls-server-name", "", "server name to verify instead of the address's host")
	fs.StringVar(&c.Token, prefix+"token", "", "bearer token to send")
}

// DialOptions returns the transport credentials and per-call token for c.
func (c ClientConfig) DialOptions() ([]grpc.DialOption, error) {
	if (c.CertFile == "") != (c.KeyFile == "") {
		return nil, errors.New("the client certificate and key go together")
	}
	var opts []grpc.DialOption
	secure := c.CAFile != ""
	if secure {
		pool, err := loadPool(c.CAFile)
		if err != nil {
			return nil, err
		}
		cfg := &tls.Config{RootCAs: pool, ServerName: c.ServerName, MinVersion: tls.VersionTLS12}
		if c.CertFile != "" {
			cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
			if err != nil {
				return nil, fmt.Errorf("loading client key pair %s / %s: %w", c.CertFile, c.KeyFile, err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		opts = append(opts, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	} else {
		if c.CertFile != "" {
			return nil, errors.New("a client certificate needs TLS: set the CA to verify the server with")
		}
		opts = append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	}
	if c.Token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearer{token: c.Token, secure: secure}))
	}
	return opts, nil
}

// bearer sends the token on every call. Without TLS it is sent in clear,
// which is only sensible on loopback; RequireTransportSecurity says so to
// gRPC so a TLS connection is never downgraded.
type bearer struct {
	token  string
	secure bool
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

func (b bearer) RequireTransportSecurity() bool { return b.secure }

// String keeps the token out of any log that prints the value.
func (b bearer) String() string { return "bearer(****)" }
