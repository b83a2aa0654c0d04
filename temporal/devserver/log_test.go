package devserver

import (
	"bytes"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

func TestServerLogger(t *testing.T) {
	tests := []struct {
		name     string
		stopping bool
		log      func(l log.Logger)
		want     string // the record's JSON holds it; empty: no record
	}{
		{"warning with tags", false, func(l log.Logger) { l.Warn("slow", tag.WorkflowID("w1")) }, `"msg":"slow","wf-id":"w1"`},
		{"tags of With first", false, func(l log.Logger) {
			log.With(l, tag.ShardID(3)).Error("lost", tag.Attempt(2))
		}, `"msg":"lost","shard-id":3,"attempt":2`},
		{"info below the handler's level", false, func(l log.Logger) { l.Info("started") }, ""},
		{"DPanic an error", false, func(l log.Logger) { l.DPanic("odd") }, `"level":"ERROR","msg":"odd"`},
		{"warning while stopping", true, func(l log.Logger) { l.Warn("connection closed") }, ""},
		{"error while stopping", true, func(l log.Logger) { l.Error("stop failed") }, `"level":"ERROR","msg":"stop failed"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			l := serverLogger{
				l:        slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelWarn})),
				stopping: new(atomic.Bool),
			}
			l.stopping.Store(tt.stopping)
			tt.log(l)
			switch got := out.String(); {
			case tt.want == "" && got != "":
				t.Errorf("logged %s, want nothing", got)
			case !strings.Contains(got, tt.want):
				t.Errorf("logged %q, want a record holding %s", got, tt.want)
			}
		})
	}
}
