package flagenv

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestFlagWinsOverEnvAndEnvOverDefault(t *testing.T) {
	t.Setenv("DOCBATCH_NATS_URL", "nats://env:4222")
	t.Setenv("DOCBATCH_SLOTS", "7")
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	url := fs.String("nats-url", "nats://default:4222", "")
	slots := fs.Int("slots", 1, "")
	if err := Parse(fs, []string{"--nats-url", "nats://flag:4222"}); err != nil {
		t.Fatal(err)
	}
	if *url != "nats://flag:4222" || *slots != 7 {
		t.Fatalf("got url=%s slots=%d", *url, *slots)
	}
}

func TestBadEnvNamesTheVariable(t *testing.T) {
	t.Setenv("DOCBATCH_SLOTS", "many")
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Int("slots", 1, "")
	err := Parse(fs, nil)
	if err == nil || !strings.Contains(err.Error(), `DOCBATCH_SLOTS="many"`) {
		t.Fatalf("want an error naming the variable, got %v", err)
	}
}

func TestDescribeMasksSecrets(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.String("auth-token", "s3cret", "")
	fs.String("listen", "127.0.0.1:1", "")
	got := fmt.Sprint(Describe(fs)...)
	if strings.Contains(got, "s3cret") || !strings.Contains(got, "127.0.0.1:1") || !strings.Contains(got, "****") {
		t.Fatalf("describe leaked or lost values: %s", got)
	}
}
