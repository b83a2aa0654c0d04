package retry_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/tendlc/tendlc/retry"
)

func TestDecodeAttrs(t *testing.T) {
	ms := func(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
	sentAt := t0.Add(1500 * time.Microsecond) // sub-millisecond part is dropped
	tests := []struct {
		name    string
		attrs   map[string]string
		want    retry.Attrs
		wantErr string // the field the *AttributeError names; "" for none
	}{
		{name: "absent: first attempt, first seen when sent", attrs: map[string]string{},
			want: retry.Attrs{Attempt: 1, FirstSeen: t0.Add(time.Millisecond)}},
		{name: "every field", attrs: map[string]string{retry.AttrRetry: "attempt=3;deferrals=2;client_failures=5;first_seen=" + ms(t0) +
			";last_error=throttled;not_before=" + ms(t0.Add(time.Hour)) + ";redriven=1"},
			want: retry.Attrs{Attempt: 3, Deferrals: 2, ClientFailures: 5, FirstSeen: t0, LastError: retry.ClassThrottled, NotBefore: t0.Add(time.Hour), Redriven: 1}},
		{name: "fields in any order", attrs: map[string]string{retry.AttrRetry: "redriven=2;attempt=4"},
			want: retry.Attrs{Attempt: 4, Redriven: 2, FirstSeen: t0.Add(time.Millisecond)}},
		{name: "unknown fields are ignored", attrs: map[string]string{retry.AttrRetry: "attempt=2;hint=x"},
			want: retry.Attrs{Attempt: 2, FirstSeen: t0.Add(time.Millisecond)}},
		{name: "a class this build does not know", attrs: map[string]string{retry.AttrRetry: "attempt=2;last_error=quota_exceeded"},
			want: retry.Attrs{Attempt: 2, LastError: "quota_exceeded", FirstSeen: t0.Add(time.Millisecond)}},
		{name: "largest counts", attrs: map[string]string{retry.AttrRetry: "attempt=10000;deferrals=10000;redriven=10000"},
			want: retry.Attrs{Attempt: 10000, Deferrals: 10000, Redriven: 10000, FirstSeen: t0.Add(time.Millisecond)}},
		{name: "empty value", attrs: map[string]string{retry.AttrRetry: ""}, wantErr: "-"},
		{name: "trailing separator", attrs: map[string]string{retry.AttrRetry: "attempt=2;"}, wantErr: "-"},
		{name: "no value", attrs: map[string]string{retry.AttrRetry: "attempt="}, wantErr: "-"},
		{name: "signed number", attrs: map[string]string{retry.AttrRetry: "attempt=+2"}, wantErr: "attempt"},
		{name: "negative deferrals", attrs: map[string]string{retry.AttrRetry: "deferrals=-1"}, wantErr: "deferrals"},
		{name: "client failures over 10000", attrs: map[string]string{retry.AttrRetry: "client_failures=10001"}, wantErr: "client_failures"},
		{name: "hex", attrs: map[string]string{retry.AttrRetry: "attempt=0x2"}, wantErr: "attempt"},
		{name: "attempt over 10000", attrs: map[string]string{retry.AttrRetry: "attempt=10001"}, wantErr: "attempt"},
		{name: "huge number", attrs: map[string]string{retry.AttrRetry: "redriven=99999999999999999999"}, wantErr: "redriven"},
		{name: "seconds instead of milliseconds", attrs: map[string]string{retry.AttrRetry: "first_seen=" + strconv.FormatInt(t0.Unix(), 10)}, wantErr: "first_seen"},
		{name: "year 2100", attrs: map[string]string{retry.AttrRetry: "not_before=4102444800000"}, wantErr: "not_before"},
		{name: "class with a space", attrs: map[string]string{retry.AttrRetry: "last_error=server error"}, wantErr: "last_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := retry.DecodeAttrs(tt.attrs, sentAt)
			if tt.wantErr != "" {
				ae, ok := errors.AsType[*retry.AttributeError](err)
				if !ok {
					t.Fatalf("DecodeAttrs = %+v, %v; want an *AttributeError", got, err)
				}
				if want := tt.wantErr; want != "-" && ae.Field != want {
					t.Errorf("error names field %q, want %q", ae.Field, want)
				}
				if got, want := retry.Classify(err), retry.ClassBadAttributes; got != want {
					t.Errorf("Classify = %s, want %s", got, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("DecodeAttrs = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestAttrsEncode(t *testing.T) {
	tests := []struct {
		name    string
		attrs   retry.Attrs
		want    string
		wantErr bool
	}{
		{name: "first attempt", attrs: retry.Attrs{Attempt: 1}, want: "attempt=1"},
		{name: "zero fields left out", attrs: retry.Attrs{Attempt: 2, FirstSeen: t0, LastError: retry.ClassServer},
			want: "attempt=2;first_seen=1772366400000;last_error=server"},
		{name: "every field, times to the millisecond",
			attrs: retry.Attrs{Attempt: 3, Deferrals: 4, ClientFailures: 2, FirstSeen: t0.Add(999 * time.Microsecond), LastError: retry.ClassDeferred,
				NotBefore: t0.Add(time.Hour), Redriven: 1},
			want: "attempt=3;deferrals=4;client_failures=2;first_seen=1772366400000;last_error=deferred;not_before=1772370000000;redriven=1"},
		{name: "attempt 0 is refused", attrs: retry.Attrs{}, wantErr: true},
		{name: "a time before 2000 is refused", attrs: retry.Attrs{Attempt: 1, FirstSeen: time.Unix(0, 0)}, wantErr: true},
		{name: "a negative count is refused", attrs: retry.Attrs{Attempt: 1, Redriven: -1}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := map[string]string{"event_type": "brand.verified"}
			err := tt.attrs.Encode(dst)
			if tt.wantErr {
				if _, ok := errors.AsType[*retry.AttributeError](err); !ok {
					t.Errorf("Encode = %v, want an *AttributeError", err)
				}
				if _, wrote := dst[retry.AttrRetry]; wrote {
					t.Errorf("Encode wrote %q despite the error", dst[retry.AttrRetry])
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := dst[retry.AttrRetry]; got != tt.want {
				t.Errorf("Encode wrote %q, want %q", got, tt.want)
			}
			if got, want := len(dst), 2; got != want {
				t.Errorf("Encode left %d attributes, want %d (it writes only %s)", got, want, retry.AttrRetry)
			}
		})
	}
}

// FuzzDecodeAttrs checks that DecodeAttrs never panics, that whatever it
// accepts is within the documented bounds, and that it survives an
// Encode/Decode round trip unchanged.
func FuzzDecodeAttrs(f *testing.F) {
	for _, seed := range []string{
		"attempt=1",
		"attempt=3;deferrals=2;first_seen=1772366400000;last_error=throttled;not_before=1772370000000;redriven=1",
		"redriven=2;attempt=4;hint=x",
		"attempt=10000;deferrals=10000",
		"", ";", "=", "attempt", "attempt=", "attempt=0", "attempt=-1", "attempt=+2", "attempt=1;attempt=2",
		"first_seen=12", "not_before=4102444800000", "last_error=Server Error", "attempt=99999999999999999999",
		"attempt=2;last_error=a=b", "attempt=\xff",
	} {
		f.Add(seed, t0.UnixMilli())
	}
	f.Fuzz(func(t *testing.T, value string, sentMillis int64) {
		in := map[string]string{retry.AttrRetry: value}
		a, err := retry.DecodeAttrs(in, time.UnixMilli(sentMillis))
		if err != nil {
			if _, ok := errors.AsType[*retry.AttributeError](err); !ok {
				t.Fatalf("DecodeAttrs(%q) error %v (%T), want an *AttributeError", value, err, err)
			}
			return
		}
		if a.Attempt < 1 || a.Attempt > 10000 || a.Deferrals < 0 || a.Deferrals > 10000 || a.Redriven < 0 || a.Redriven > 10000 ||
			a.ClientFailures < 0 || a.ClientFailures > 10000 {
			t.Fatalf("DecodeAttrs(%q) = %+v: a count out of bounds", value, a)
		}
		out := map[string]string{}
		if err := a.Encode(out); err != nil {
			t.Fatalf("Encode(%+v) of a decoded value: %v", a, err)
		}
		b, err := retry.DecodeAttrs(out, time.Time{})
		if err != nil {
			t.Fatalf("DecodeAttrs(%q) of an encoded value: %v", out[retry.AttrRetry], err)
		}
		if b != a {
			t.Fatalf("round trip of %q via %q: got %+v, want %+v", value, out[retry.AttrRetry], b, a)
		}
	})
}
