package sqsq

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tendlc/tendlc/infra/awstest"
	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/message"
)

// childQueueEnv names the queue a child process of
// TestConsumerSIGTERMIntegration consumes.
const childQueueEnv = "TENDLC_SIGTERM_CHILD_QUEUE"

// platformKill is how long ECS and Kubernetes wait after SIGTERM before they
// send SIGKILL.
const platformKill = 30 * time.Second

// TestConsumerSIGTERMIntegration runs a consumer with its default timings in a
// child process, as a platform runs regd, and stops it as the platform does:
// SIGTERM, then SIGKILL 30 s later. The consumer must be gone before the
// kill, with the messages that finished after the SIGTERM deleted and those
// still running receivable again at once, not a visibility timeout later.
func TestConsumerSIGTERMIntegration(t *testing.T) {
	if url := os.Getenv(childQueueEnv); url != "" {
		runSIGTERMChild(t, url)
		return
	}
	t.Parallel()
	api := awstest.SQS(t)
	url := createQueue(t, api, resources.DefaultVisibilityTimeout)
	finish := []string{"finish-0", "finish-1", "finish-2", "finish-3"} // return nil once SIGTERM came
	hang := []string{"hang-0", "hang-1", "hang-2", "hang-3"}           // run until the grace deadline
	sendBodies(t, api, url, append(finish, hang...)...)

	cmd := exec.Command(os.Args[0], "-test.run=^TestConsumerSIGTERMIntegration$", "-test.v")
	cmd.Env = append(os.Environ(), childQueueEnv+"="+url)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	started := make(chan string, 8)
	go func() {
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			if body, ok := strings.CutPrefix(lines.Text(), "started "); ok {
				started <- body
			}
		}
		exited <- cmd.Wait()
	}()
	kill := func() {
		if err := cmd.Process.Kill(); err != nil {
			t.Errorf("SIGKILL: %v", err)
		}
		<-exited
	}
	timeout := time.After(20 * time.Second)
	for range len(finish) + len(hang) {
		select {
		case <-started:
		case <-timeout:
			kill()
			t.Fatal("timed out waiting for the 8 handlers to start")
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	term := time.Now()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("consumer process: %v", err)
		}
		if took := time.Since(term); took >= platformKill {
			t.Fatalf("exited %v after SIGTERM: the platform had killed it at %v", took, platformKill)
		}
	case <-time.After(platformKill):
		kill()
		t.Fatalf("still running %v after SIGTERM: the platform kills it", platformKill)
	}
	// Well inside the visibility timeout: the unfinished messages were released.
	if got := receiveBodies(t, api, url, len(hang), 5*time.Second); !slices.Equal(got, hang) {
		t.Errorf("receivable at once after the exit: %q, want %q", got, hang)
	}
	if got, want := awstest.Depth(t, api, url), len(hang); got != want {
		t.Errorf("%d messages on the queue, want %d: the finished ones deleted", got, want)
	}
}

// runSIGTERMChild is the child process: a consumer with the default timings
// that stops on SIGTERM.
func runSIGTERMChild(t *testing.T, url string) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	// The default timings but the long poll's: a receive cancelled at the
	// SIGTERM is abandoned by the client, not by the server, which may hold
	// it for the rest of its wait and hand the released messages to it, on
	// SQS as on the emulator. A 1 s wait ends it long before the release.
	c, err := NewConsumer(awstest.SQS(t), ConsumerConfig{QueueURL: url, Queue: "q", WaitTime: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Run(ctx, func(hctx context.Context, m *message.Message) error {
		fmt.Printf("started %s\n", m.Body)
		if strings.HasPrefix(string(m.Body), "finish-") {
			<-ctx.Done()
			return nil
		}
		<-hctx.Done()
		return hctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}
