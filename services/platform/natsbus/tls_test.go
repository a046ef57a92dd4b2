package natsbus_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/docbatch/docbatch/services/platform/natsbus"
)

// writeCert writes a certificate for cn signed by parent (self-signed when
// parent is nil) and returns its files, certificate and key.
func writeCert(t *testing.T, dir, cn string, isCA bool, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (string, string, *x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
	}
	if isCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	kder, _ := x509.MarshalECPrivateKey(key)
	cf, kf := filepath.Join(dir, cn+".pem"), filepath.Join(dir, cn+"-key.pem")
	if err := os.WriteFile(cf, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kf, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cf, kf, cert, key
}

// Services reach a NATS server that requires TLS with client certificates
// and a password through natsbus.Credentials; without the client
// certificate, or trusting another CA, they are refused.
func TestCredentialsWithMutualTLS(t *testing.T) {
	dir := t.TempDir()
	caFile, _, ca, caKey := writeCert(t, dir, "ca", true, nil, nil)
	srvCert, srvKey, _, _ := writeCert(t, dir, "server", false, ca, caKey)
	cliCert, cliKey, _, _ := writeCert(t, dir, "client", false, ca, caKey)
	otherCA, _, _, _ := writeCert(t, dir, "other-ca", true, nil, nil)

	tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: srvCert, KeyFile: srvKey, CaFile: caFile, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: -1, NoSigs: true, NoLog: true, TLS: true, TLSVerify: true, TLSConfig: tc, TLSTimeout: 2,
		Username: "docbatch", Password: "s3cret",
	})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats not ready")
	}
	t.Cleanup(srv.Shutdown)
	url := srv.ClientURL()

	// Connect retries forever by design (services wait for NATS), so a
	// refused connection shows as one that never becomes connected.
	connect := func(c natsbus.Credentials) error {
		nc, err := natsbus.Dialer{URL: url, Credentials: c}.Connect("tls-test")
		if err != nil {
			return err
		}
		defer nc.Close()
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if nc.IsConnected() {
				return nil
			}
		}
		return errors.New("never connected")
	}
	good := natsbus.Credentials{User: "docbatch", Password: "s3cret", CAFile: caFile, CertFile: cliCert, KeyFile: cliKey}
	if err := connect(good); err != nil {
		t.Fatalf("mutual TLS with the right credentials: %v", err)
	}
	bad := map[string]natsbus.Credentials{
		"no client certificate":   {User: "docbatch", Password: "s3cret", CAFile: caFile},
		"another CA":              {User: "docbatch", Password: "s3cret", CAFile: otherCA, CertFile: cliCert, KeyFile: cliKey},
		"wrong password":          {User: "docbatch", Password: "guess", CAFile: caFile, CertFile: cliCert, KeyFile: cliKey},
		"certificate without key": {CAFile: caFile, CertFile: cliCert},
	}
	for name, c := range bad {
		if err := connect(c); err == nil {
			t.Fatalf("%s: connected", name)
		}
	}
}
