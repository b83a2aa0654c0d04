package main

import (
	"fmt"
	"time"
)

// envNow names the environment variable that fixes the clock of regctl's
// reports to an RFC 3339 time: show, stuck, queues and dlq list compute ages
// as of that time. Tests use it for reproducible output; operators can use it
// to ask what was stuck as of a moment. It never changes what regctl writes
// or sends.
const envNow = "REGCTL_NOW"

// now returns the current time in UTC, or the time REGCTL_NOW fixes.
func (e *Env) now() (time.Time, error) {
	s := e.Getenv(envNow)
	if s == "" {
		return time.Now().UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usageErrorf("%s=%q: want an RFC 3339 time such as 2026-03-02T12:00:00Z", envNow, s)
	}
	return t.UTC(), nil
}

// operator returns the actor of the messages an operator sends:
// "operator:<$USER>", or "operator:unknown" without USER.
func (e *Env) operator() string {
	user := e.Getenv("USER")
	if user == "" {
		user = "unknown"
	}
	return fmt.Sprintf("operator:%s", user)
}
