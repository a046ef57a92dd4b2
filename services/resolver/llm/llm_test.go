package llm

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// chatServer is a local HTTP server speaking the chat completions API, as
// ollama or vLLM would. answer decides what the "model" says about the
// user message; it stands in for the model only in this test.
func chatServer(t *testing.T, answer func(user string) (status int, body string)) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		if got := r.Header.Get("Authorization"); got != "Bearer sekret" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":{"message":"bad key"}}`))
			return
		}
		var req chatRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if req.Model != "tiny" || req.ResponseFormat.Type != "json_schema" || !req.ResponseFormat.JSONSchema.Strict || len(req.Messages) != 2 {
			http.Error(w, "unexpected request shape", http.StatusBadRequest)
			return
		}
		status, content := answer(req.Messages[1].Content)
		if status != http.StatusOK {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(content))
			return
		}
		resp := map[string]any{
			"choices": []any{map[string]any{"message": map[string]any{"role": "assistant", "content": content}, "finish_reason": "stop"}},
			"usage":   map[string]any{"prompt_tokens": 100, "completion_tokens": 12},
		}
		_ = json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func person(given, family, aff string) Entity {
	return Entity{Kind: "person", Fields: map[string]string{"given": given, "family": family, "affiliation": aff}}
}

func TestAsksOncePerPairAndCountsTokens(t *testing.T) {
	srv, hits := chatServer(t, func(user string) (int, string) {
		// The stand-in model says "same" when both records carry the
		// same affiliation line.
		same := strings.Count(user, "affiliation: EMBL") == 2
		b, _ := json.Marshal(map[string]any{"same": same, "confidence": 0.9, "reason": "affiliations"})
		return http.StatusOK, string(b)
	})
	c, err := New(Config{BaseURL: srv.URL + "/v1/", Model: "tiny", APIKey: "sekret"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, b := person("J.", "Smith", "EMBL"), person("John", "Smith", "EMBL")
	v, err := c.SameEntity(ctx, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Same || v.Confidence != 0.9 || v.Reason == "" {
		t.Fatalf("verdict %+v", v)
	}
	// The same question the other way round is answered from the cache.
	if v2, err := c.SameEntity(ctx, b, a); err != nil || v2 != v {
		t.Fatalf("reversed pair: %+v, %v", v2, err)
	}
	other := person("John", "Smith", "MIT")
	if v, err := c.SameEntity(ctx, a, other); err != nil || v.Same {
		t.Fatalf("different affiliations: %+v, %v", v, err)
	}
	st := c.Stats()
	if hits.Load() != 2 || st.Calls != 2 || st.PromptTokens != 200 || st.CompletionTokens != 24 || st.CachedPairs != 2 || st.Errors != 0 {
		t.Fatalf("hits %d, stats %+v", hits.Load(), st)
	}
}

func TestErrorsAreSpecific(t *testing.T) {
	cases := []struct {
		name    string
		status  int
		content string
		key     string
		want    string
	}{
		{"server error", http.StatusInternalServerError, `{"error":{"message":"model tiny not loaded"}}`, "sekret", "HTTP 500: model tiny not loaded"},
		{"wrong key", http.StatusOK, `{"same":true,"confidence":1,"reason":"x"}`, "wrong", "HTTP 401: bad key"},
		{"prose instead of JSON", http.StatusOK, `Yes, they are the same person.`, "sekret", "does not follow the schema"},
		{"missing field", http.StatusOK, `{"same":true,"reason":"x"}`, "sekret", `lacks "same" or "confidence"`},
		{"extra field", http.StatusOK, `{"same":true,"confidence":1,"reason":"x","note":"y"}`, "sekret", "does not follow the schema"},
		{"confidence out of range", http.StatusOK, `{"same":true,"confidence":7,"reason":"x"}`, "sekret", "outside [0, 1]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := chatServer(t, func(string) (int, string) { return tc.status, tc.content })
			c, err := New(Config{BaseURL: srv.URL + "/v1", Model: "tiny", APIKey: tc.key})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.SameEntity(context.Background(), person("A", "B", ""), person("A", "C", ""))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), tc.key) && tc.key != "" {
				t.Fatalf("the API key leaked into the error: %v", err)
			}
			if st := c.Stats(); st.Errors != 1 || st.CachedPairs != 0 {
				t.Fatalf("a failed call must not be cached: %+v", st)
			}
		})
	}
}

func TestDeadlineIsHonoured(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c, err := New(Config{BaseURL: srv.URL, Model: "tiny"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.SameEntity(ctx, person("A", "B", ""), person("A", "C", "")); err == nil {
		t.Fatal("a hung server must not hang the caller")
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("the deadline was not honoured")
	}
}

func TestConfigIsChecked(t *testing.T) {
	for _, cfg := range []Config{{Model: "m"}, {BaseURL: "ftp://x", Model: "m"}, {BaseURL: "http://127.0.0.1:1"}} {
		if _, err := New(cfg); err == nil {
			t.Fatalf("config %+v accepted", cfg)
		}
	}
}
