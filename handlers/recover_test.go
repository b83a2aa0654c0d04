package handlers_test

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/tendlc/tendlc/handlers"
)

func TestRecover(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name      string
		handler   handlers.Handler
		wantErr   error // nil: no error expected
		wantPanic any   // the value a *PanicError must carry; nil: no *PanicError
	}{
		{
			name:    "passes success through",
			handler: func(context.Context, *handlers.Message) error { return nil },
		},
		{
			name:    "passes an error through",
			handler: func(context.Context, *handlers.Message) error { return errBoom },
			wantErr: errBoom,
		},
		{
			name:      "turns a panic with a string into a PanicError",
			handler:   func(context.Context, *handlers.Message) error { panic("kaput") },
			wantPanic: "kaput",
		},
		{
			name:      "turns a panic with an error into a PanicError",
			handler:   func(context.Context, *handlers.Message) error { panic(errBoom) },
			wantPanic: errBoom,
		},
		{
			name: "turns a runtime error into a PanicError",
			handler: func(_ context.Context, m *handlers.Message) error {
				var attrs map[string]string
				attrs[m.ID] = "x" // assignment to a nil map
				return nil
			},
			wantPanic: "assignment to entry in nil map",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := handlers.Chain(tt.handler, handlers.Recover())
			err := h(t.Context(), &handlers.Message{ID: "m-1"})

			pe, isPanic := errors.AsType[*handlers.PanicError](err)
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
				t.Fatalf("got error %v (%T), want a *handlers.PanicError", err, err)
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
	h := handlers.Chain(func(context.Context, *handlers.Message) error { panic(nil) }, handlers.Recover())
	err := h(t.Context(), &handlers.Message{})
	pe, ok := errors.AsType[*handlers.PanicError](err)
	if !ok {
		t.Fatalf("got error %v, want a *handlers.PanicError", err)
	}
	if _, ok := pe.Value.(*runtime.PanicNilError); !ok {
		t.Errorf("panic value = %#v, want *runtime.PanicNilError", pe.Value)
	}
}
