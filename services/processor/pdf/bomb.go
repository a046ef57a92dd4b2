package pdf

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
)

// ErrBomb: a FlateDecode stream of the document inflates past the
// per-stream limit (a quarter of Options.MaxMemoryBytes). PDFium would
// otherwise inflate it inside its sandbox until the memory cap traps it or
// the page timeout kills it, whichever comes first on a given machine; the
// check makes the outcome a property of the document alone.
var ErrBomb = errors.New("pdf: decompression bomb")

// maxInflateRatio is deflate's largest possible expansion: a 258-byte
// match coded in two bits (one for its length, one for its distance) is
// 1032:1, and nothing in the format codes more output per bit.
const maxInflateRatio = 1032

// bombLimit is the most a single stream may inflate to.
func (o Options) bombLimit() int64 { return o.MaxMemoryBytes / 4 }

var (
	kwStream    = []byte("stream")
	kwEndstream = []byte("endstream")
	kwObj       = []byte("obj")
	kwFlate     = []byte("/FlateDecode")
	kwImage     = []byte("/Image")
)

// checkBombs inflates, in Go and without keeping the output, every
// FlateDecode stream PDFium would decode to extract text, and fails with
// ErrBomb on the first that inflates past limit bytes. Image XObjects are
// skipped: text extraction never decodes them, and scans legitimately
// inflate to hundreds of MB. So are streams too short to reach the limit
// even at deflate's largest ratio (maxInflateRatio): with the default 256
// MB limit, every stream under 248 KB, which is nearly every stream of a
// paper, so the check is a scan for keywords rather than a second
// inflation of the whole document. Streams that are not valid zlib are
// left to PDFium. The scan is linear in the input plus the inflated bytes.
func checkBombs(ctx context.Context, data []byte, limit int64) error {
	if limit <= 0 {
		return nil
	}
	var zr io.ReadCloser // reused: a decompressor is tens of KB
	off := 0
	for {
		i := bytes.Index(data[off:], kwStream)
		if i < 0 {
			return nil
		}
		kw := off + i
		off = kw + len(kwStream)
		// "endstream" contains "stream"; only the keyword after a
		// dictionary counts.
		if kw >= 3 && bytes.HasSuffix(data[:kw], []byte("end")) {
			continue
		}
		body := off
		switch {
		case bytes.HasPrefix(data[body:], []byte("\r\n")):
			body += 2
		case bytes.HasPrefix(data[body:], []byte("\n")), bytes.HasPrefix(data[body:], []byte("\r")):
			body++
		default:
			continue
		}
		dict := data[max(0, kw-4096):kw]
		if j := bytes.LastIndex(dict, kwObj); j >= 0 {
			dict = dict[j:]
		}
		end := len(data)
		if j := bytes.Index(data[body:], kwEndstream); j >= 0 {
			end = body + j
		}
		off = end
		if int64(end-body)*maxInflateRatio <= limit {
			continue
		}
		if !bytes.Contains(dict, kwFlate) || bytes.Contains(dict, kwImage) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return ContextError(err)
		}
		var err error
		if zr == nil {
			zr, err = zlib.NewReader(bytes.NewReader(data[body:end]))
		} else {
			err = zr.(zlib.Resetter).Reset(bytes.NewReader(data[body:end]), nil)
		}
		if err != nil {
			zr = nil
			continue // not zlib: PDFium's problem, not a bomb
		}
		n, _ := io.Copy(io.Discard, io.LimitReader(zr, limit+1))
		if n > limit {
			return fmt.Errorf("%w: the stream at byte %d inflates to more than %d bytes", ErrBomb, body, limit)
		}
	}
}
