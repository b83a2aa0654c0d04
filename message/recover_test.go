package message_test

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/tendlc/tendlc/message"
)

func TestRecover(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name      string
		handler   message.Handler
		wantErr   error // nil: no error expected
		wantPanic any   // the value a *PanicError must carry; nil: no *PanicError
	}{
		{
			name:    "passes success through",
			handler: func(context.Context, *message.Message) error { return nil },
		},
		{
			name:    "passes an error through",
			handler: func(context.Context, *message.Message) error { return errBoom },
			wantErr: errBoom,
		},
		{
			name:      "turns a panic with a string into a PanicError",
			handler:   func(context.Context, *message.Message) error { panic("kaput") },
			wantPanic: "kaput",
		},
		{
			name:      "turns a panic with an error into a PanicError",
			handler:   func(context.Context, *message.Message) error { panic(errBoom) },
			wantPanic: errBoom,
		},
		{
			name: "turns a runtime error into a PanicError",
			handler: func(_ context.Context, m *message.Message) error {
				var attrs map[string]string
				attrs[m.ID] = "x" // assignment to a nil map
				return nil
			},
			wantPanic: "assignment to entry in nil map",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := message.Chain(tt.handler, message.Recover())
			err := h(t.Context(), &message.Message{ID: "m-1"})

			pe, isPanic := errors.AsType[*message.PanicError](err)
			if tt.wantPanic == nil {
				if isPanic {
					t.Fatalf("got PanicError %v, want none", pe)
				}
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got error %v, want %v", err, tt.wantErr)
				}
				return
			}
			if !isPanic {
				t.Fatalf("got error %v (%T), want a *message.PanicError", err, err)
			}
			if re, ok := pe.Value.(runtime.Error); ok {
				if got, want := re.Error(), tt.wantPanic; got != want {
					t.Errorf("panic value = %q, want %q", got, want)
				}
			} else if got, want := pe.Value, tt.wantPanic; got != want {
				t.Errorf("panic value = %v, want %v", got, want)
			}
			if !bytes.Contains(pe.Stack, []byte("recover_test.go")) {
				t.Errorf("stack does not show the panicking handler:\n%s", pe.Stack)
			}
		})
	}
}

func TestRecoverPanicNil(t *testing.T) {
	h := message.Chain(func(context.Context, *message.Message) error { panic(nil) }, message.Recover())
	err := h(t.Context(), &message.Message{})
	pe, ok := errors.AsType[*message.PanicError](err)
	if !ok {
		t.Fatalf("got error %v, want a *message.PanicError", err)
	}
	if _, ok := pe.Value.(*runtime.PanicNilError); !ok {
		t.Errorf("panic value = %#v, want *runtime.PanicNilError", pe.Value)
	}
}
