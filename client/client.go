// Package client is the Go client of docbatch's SchedulerService used by the
// CLI: it turns a folder (or a generator's manifest) into a streamed
// submission, and follows a batch until it ends.
package client

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	schedulerv1 "github.com/docbatch/docbatch/proto/docbatch/scheduler/v1"
)

// ManifestFile, when present at the top of a folder, lists its documents
// with priorities and dependencies (one JSON object per line), as
// `docbatch gen` writes it.
const ManifestFile = "manifest.jsonl"

// DocumentExts are the file endings a folder walk takes as documents; the
// processor still detects the real format from the content.
var DocumentExts = map[string]bool{
	".pdf": true, ".xml": true, ".nxml": true, ".jats": true, ".tei": true, ".html": true, ".htm": true, ".xhtml": true,
	".md": true, ".markdown": true, ".txt": true, ".text": true,
}

type manifestLine struct {
	ID        string   `json:"id"`
	Path      string   `json:"path"`
	Priority  string   `json:"priority"`
	DependsOn []string `json:"depends_on"`
}

// Documents lists the documents under dir: from its manifest when it has
// one, else every regular file with a document ending, skipping hidden
// folders. Paths are slash-separated and relative to dir.
func Documents(dir string, fn func(*schedulerv1.DocumentSpec) error) error {
	f, err := os.Open(filepath.Join(dir, ManifestFile))
	if err == nil {
		defer f.Close()
		return fromManifest(f, fn)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("opening manifest: %w", err)
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !DocumentExts[strings.ToLower(filepath.Ext(p))] {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		return fn(&schedulerv1.DocumentSpec{Id: rel, Path: rel, SizeBytes: info.Size()})
	})
}

func fromManifest(f *os.File, fn func(*schedulerv1.DocumentSpec) error) error {
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var m manifestLine
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			return fmt.Errorf("%s line %d: %w", ManifestFile, n, err)
		}
		pri, err := ParsePriority(m.Priority)
		if err != nil {
			return fmt.Errorf("%s line %d: %w", ManifestFile, n, err)
		}
		if err := fn(&schedulerv1.DocumentSpec{Id: m.ID, Path: m.Path, Priority: pri, DependsOn: m.DependsOn}); err != nil {
			return err
		}
	}
	return sc.Err()
}

// ParsePriority reads LOW, NORMAL, HIGH or CRITICAL ("" = unspecified).
func ParsePriority(s string) (schedulerv1.Priority, error) {
	if s == "" {
		return schedulerv1.Priority_PRIORITY_UNSPECIFIED, nil
	}
	v, ok := schedulerv1.Priority_value["PRIORITY_"+strings.ToUpper(s)]
	if !ok {
		return 0, fmt.Errorf("unknown priority %q (want LOW, NORMAL, HIGH or CRITICAL)", s)
	}
	return schedulerv1.Priority(v), nil
}

// RunBatchID names the batch of a folder, so that running the same folder
// again resumes its batch.
func RunBatchID(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256([]byte(abs))
	return "run-" + hex.EncodeToString(h[:6]), nil
}

// chunkSize is how many document specs go in one SubmitBatch message.
const chunkSize = 1000

// Submit streams a folder's documents to the scheduler. prefix is the
// folder's slash path under the batch root ("" when the folder is the root).
func Submit(ctx context.Context, c schedulerv1.SchedulerServiceClient, hdr *schedulerv1.BatchHeader, dir, prefix string) (*schedulerv1.SubmitBatchResponse, error) {
	st, err := c.SubmitBatch(ctx)
	if err != nil {
		return nil, err
	}
	if err := st.Send(&schedulerv1.SubmitBatchRequest{Kind: &schedulerv1.SubmitBatchRequest_Header{Header: hdr}}); err != nil {
		return nil, sendErr(st, err)
	}
	chunk := make([]*schedulerv1.DocumentSpec, 0, chunkSize)
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		err := st.Send(&schedulerv1.SubmitBatchRequest{Kind: &schedulerv1.SubmitBatchRequest_Documents{Documents: &schedulerv1.DocumentChunk{Documents: chunk}}})
		chunk = make([]*schedulerv1.DocumentSpec, 0, chunkSize)
		return err
	}
	err = Documents(dir, func(d *schedulerv1.DocumentSpec) error {
		if prefix != "" {
			d.Path = path.Join(prefix, d.Path)
			d.Id = path.Join(prefix, d.Id)
			for i, dep := range d.DependsOn {
				d.DependsOn[i] = path.Join(prefix, dep)
			}
		}
		chunk = append(chunk, d)
		if len(chunk) == chunkSize {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		// The server may have refused the stream; its status says why.
		if _, rerr := st.CloseAndRecv(); rerr != nil {
			return nil, rerr
		}
		return nil, fmt.Errorf("listing documents of %s: %w", dir, err)
	}
	return st.CloseAndRecv()
}

// sendErr returns the server's status when a send failed because the
// server ended the stream.
func sendErr(st schedulerv1.SchedulerService_SubmitBatchClient, err error) error {
	if _, rerr := st.CloseAndRecv(); rerr != nil {
		return rerr
	}
	return err
}

// Watch follows a batch, calling fn with every snapshot, until it ends.
func Watch(ctx context.Context, c schedulerv1.SchedulerServiceClient, batchID string, includeDocs bool, fn func(*schedulerv1.WatchBatchResponse)) (*schedulerv1.Batch, error) {
	st, err := c.WatchBatch(ctx, &schedulerv1.WatchBatchRequest{BatchId: batchID, IncludeDocuments: includeDocs})
	if err != nil {
		return nil, err
	}
	var last *schedulerv1.Batch
	for {
		m, err := st.Recv()
		if err != nil {
			if last != nil && last.State != schedulerv1.BatchState_BATCH_STATE_RUNNING {
				return last, nil
			}
			return last, err
		}
		last = m.Batch
		fn(m)
		if last.State != schedulerv1.BatchState_BATCH_STATE_RUNNING {
			return last, nil
		}
	}
}
