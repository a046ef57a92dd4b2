// Package llm asks a language model whether two entity mentions name the
// same entity. It speaks the OpenAI-compatible chat completions API with a
// JSON-schema response format, which ollama, vLLM, llama.cpp's server and
// hosted APIs all accept, so a deployment can point it at a local model.
//
// It is an adjudicator only: the resolver's similarity model decides every
// pair on its own and asks the model only about pairs whose probability is
// uncertain. It is off unless configured. The protocol is one POST with a
// small JSON body, so it is written here on net/http rather than pulling in
// a vendor SDK whose surface is a hundred times larger.
package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config says where the model is.
type Config struct {
	// BaseURL is the API root, e.g. http://127.0.0.1:11434/v1 for ollama;
	// requests go to BaseURL + "/chat/completions".
	BaseURL string
	Model   string
	// APIKey is sent as a bearer token when set. It is never logged.
	APIKey string
	// Timeout bounds one call (default 60 s).
	Timeout time.Duration
	// HTTP is the client to use (default: one with Timeout).
	HTTP *http.Client
}

// Client asks the model and remembers its answers, so the same pair is
// asked once per process however often clusters are rebuilt, and the
// clustering stays a function of the inputs while the process lives.
type Client struct {
	cfg  Config
	http *http.Client

	mu    sync.Mutex
	cache map[string]Verdict

	calls, errs, promptTokens, completionTokens atomic.Int64
}

// Verdict is the model's answer about one pair.
type Verdict struct {
	Same       bool    `json:"same"`
	Confidence float64 `json:"confidence"`
	Reason     string  `json:"reason"`
}

// Stats counts what the model was asked; the resolver reports them.
type Stats struct {
	Calls            int64 `json:"calls"`
	Errors           int64 `json:"errors"`
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
	CachedPairs      int   `json:"cached_pairs"`
}

// New checks cfg and returns a client.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("llm: base URL is empty")
	}
	if !strings.HasPrefix(cfg.BaseURL, "http://") && !strings.HasPrefix(cfg.BaseURL, "https://") {
		return nil, fmt.Errorf("llm: base URL %q is not http(s)", cfg.BaseURL)
	}
	if cfg.Model == "" {
		return nil, errors.New("llm: model is empty")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	hc := cfg.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: cfg.Timeout}
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Client{cfg: cfg, http: hc, cache: map[string]Verdict{}}, nil
}

// Stats returns the counters so far.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	n := len(c.cache)
	c.mu.Unlock()
	return Stats{Calls: c.calls.Load(), Errors: c.errs.Load(), PromptTokens: c.promptTokens.Load(), CompletionTokens: c.completionTokens.Load(), CachedPairs: n}
}

// Entity is one side of a pair: its kind ("person", "work", ...) and the
// fields the resolver knows, by name.
type Entity struct {
	Kind   string
	Fields map[string]string
}

// describe renders an entity as stable text: fields sorted by name, empty
// ones left out.
func (e Entity) describe() string {
	keys := make([]string, 0, len(e.Fields))
	for k, v := range e.Fields {
		if strings.TrimSpace(v) != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(strings.Fields(e.Fields[k]), " "))
	}
	return b.String()
}

// pairKey is order-independent: asking about (a, b) and (b, a) is one
// question.
func pairKey(a, b Entity) string {
	da, db := a.Kind+"\n"+a.describe(), b.Kind+"\n"+b.describe()
	if db < da {
		da, db = db, da
	}
	return da + "\x00" + db
}

const systemPrompt = `You decide whether two records extracted from research papers refer to the same real-world entity (the same person, organisation, place, concept or cited work). Records may abbreviate given names, reorder words, contain OCR or extraction errors, or omit fields. Two people with the same name are different people unless the other fields make it likely they are one. Answer with the JSON object the schema describes: "same", a confidence between 0 and 1, and a one-sentence reason.`

// schema is the response format: strict JSON with exactly these fields.
var schema = map[string]any{
	"type": "object",
	"properties": map[string]any{
		"same":       map[string]any{"type": "boolean"},
		"confidence": map[string]any{"type": "number"},
		"reason":     map[string]any{"type": "string"},
	},
	"required":             []string{"same", "confidence", "reason"},
	"additionalProperties": false,
}

type chatRequest struct {
	Model          string         `json:"model"`
	Messages       []chatMessage  `json:"messages"`
	Temperature    float64        `json:"temperature"`
	ResponseFormat responseFormat `json:"response_format"`
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type responseFormat struct {
	Type       string     `json:"type"`
	JSONSchema jsonSchema `json:"json_schema"`
}

type jsonSchema struct {
	Name   string         `json:"name"`
	Strict bool           `json:"strict"`
	Schema map[string]any `json:"schema"`
}

type chatResponse struct {
	Choices []struct {
		Message struct {
			Content string `json:"content"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage struct {
		PromptTokens     int64 `json:"prompt_tokens"`
		CompletionTokens int64 `json:"completion_tokens"`
	} `json:"usage"`
	Error *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// SameEntity asks whether a and b name the same entity. Answers are cached
// by the pair's content.
func (c *Client) SameEntity(ctx context.Context, a, b Entity) (Verdict, error) {
	key := pairKey(a, b)
	c.mu.Lock()
	v, ok := c.cache[key]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := c.ask(ctx, a, b)
	if err != nil {
		c.errs.Add(1)
		return Verdict{}, err
	}
	c.mu.Lock()
	c.cache[key] = v
	c.mu.Unlock()
	return v, nil
}

func (c *Client) ask(ctx context.Context, a, b Entity) (Verdict, error) {
	first, second := a, b
	if pairKeyOrder(b, a) {
		first, second = b, a // the same prompt whichever way round it was asked
	}
	body, err := json.Marshal(chatRequest{
		Model: c.cfg.Model,
		Messages: []chatMessage{
			{Role: "system", Content: systemPrompt},
			{Role: "user", Content: fmt.Sprintf("Kind: %s\n\nRecord A:\n%s\nRecord B:\n%s", first.Kind, first.describe(), second.describe())},
		},
		ResponseFormat: responseFormat{Type: "json_schema", JSONSchema: jsonSchema{Name: "same_entity", Strict: true, Schema: schema}},
	})
	if err != nil {
		return Verdict{}, fmt.Errorf("llm: encoding request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+"/chat/completions", bytes.NewReader(body))
	if err != nil {
		return Verdict{}, fmt.Errorf("llm: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	c.calls.Add(1)
	resp, err := c.http.Do(req)
	if err != nil {
		return Verdict{}, fmt.Errorf("llm: calling %s: %w", c.cfg.BaseURL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Verdict{}, fmt.Errorf("llm: reading the answer: %w", err)
	}
	var cr chatResponse
	if err := json.Unmarshal(raw, &cr); err != nil {
		return Verdict{}, fmt.Errorf("llm: HTTP %d with a body that is not a chat completion: %.200q", resp.StatusCode, raw)
	}
	if resp.StatusCode != http.StatusOK {
		msg := strings.TrimSpace(string(raw))
		if cr.Error != nil {
			msg = cr.Error.Message
		}
		return Verdict{}, fmt.Errorf("llm: HTTP %d: %.200s", resp.StatusCode, msg)
	}
	c.promptTokens.Add(cr.Usage.PromptTokens)
	c.completionTokens.Add(cr.Usage.CompletionTokens)
	if len(cr.Choices) == 0 {
		return Verdict{}, errors.New("llm: the answer has no choices")
	}
	content := strings.TrimSpace(cr.Choices[0].Message.Content)
	var v struct {
		Same       *bool    `json:"same"`
		Confidence *float64 `json:"confidence"`
		Reason     string   `json:"reason"`
	}
	dec := json.NewDecoder(strings.NewReader(content))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return Verdict{}, fmt.Errorf("llm: the model's answer does not follow the schema (%v): %.200q", err, content)
	}
	if v.Same == nil || v.Confidence == nil {
		return Verdict{}, fmt.Errorf("llm: the model's answer lacks \"same\" or \"confidence\": %.200q", content)
	}
	if *v.Confidence < 0 || *v.Confidence > 1 {
		return Verdict{}, fmt.Errorf("llm: the model's confidence %v is outside [0, 1]", *v.Confidence)
	}
	return Verdict{Same: *v.Same, Confidence: *v.Confidence, Reason: v.Reason}, nil
}

// pairKeyOrder reports whether a sorts before b by their descriptions.
func pairKeyOrder(a, b Entity) bool { return a.describe() < b.describe() }
