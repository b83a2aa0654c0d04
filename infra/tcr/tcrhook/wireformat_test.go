package tcrhook

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// webhookDocBlocks returns the fenced code blocks of lang in the Webhooks
// section of docs/wire-format.md.
func webhookDocBlocks(tb testing.TB, lang string) []string {
	tb.Helper()
	doc, err := os.ReadFile("../../../docs/wire-format.md")
	if err != nil {
		tb.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Webhooks\n")
	if !ok {
		tb.Fatal("docs/wire-format.md has no ## Webhooks section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)```"+lang+"\n(.*?)```").FindAllStringSubmatch(section, -1) {
		blocks = append(blocks, m[1])
	}
	if len(blocks) == 0 {
		tb.Fatalf("no %s blocks in the Webhooks section", lang)
	}
	return blocks
}

// The documented examples are what the shim accepts: every JSON body,
// signed, is enqueued, and the openssl + curl commands, run as written
// against a shim, get their webhook enqueued.
func TestWireFormatWebhookExamples(t *testing.T) {
	t.Run("bodies", func(t *testing.T) {
		q := &recordingSink{}
		url := startShim(t, HandlerConfig{Sink: q})
		for i, body := range webhookDocBlocks(t, "json") {
			b := []byte(strings.TrimSpace(body))
			status, answer := post(t, url, bytes.NewReader(b), sign(url, b))
			if status != 202 || q.len() != i+1 {
				t.Errorf("example %d: %d %v, %d enqueued; want 202 and one more event\n%s", i+1, status, answer, q.len(), b)
			}
		}
	})
	t.Run("openssl and curl", func(t *testing.T) {
		for _, tool := range []string{"bash", "openssl", "curl"} {
			if _, err := exec.LookPath(tool); err != nil {
				t.Skipf("%s is not installed", tool)
			}
		}
		q := &recordingSink{}
		url := startShim(t, HandlerConfig{Sink: q, Now: time.Now}) // the commands sign with date +%s
		script := strings.ReplaceAll(webhookDocBlocks(t, "sh")[0], "http://127.0.0.1:9500/webhooks", url)
		out, err := exec.CommandContext(t.Context(), "bash", "-euo", "pipefail", "-c", script).CombinedOutput()
		if err != nil {
			t.Fatalf("the documented commands failed: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), `"status":"enqueued"`) || q.len() != 1 {
			t.Errorf("the documented commands got %s (%d enqueued), want the webhook enqueued", out, q.len())
		}
	})
}
