package webhooks

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/channels"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/httpserver"
	"github.com/switchboard/switchboard/internal/jobqueue"
	"github.com/switchboard/switchboard/internal/testfactory"
)

// BenchmarkSendGridIngest posts signed batches of 1,000 SendGrid events
// through the receiver into a database of its own (committed, as in
// production) and reports events stored per second, end to end: signature,
// the one statement, the job insert and the commit.
//
//	go test -run XXX -bench SendGridIngest -benchtime 20x ./internal/webhooks/
func BenchmarkSendGridIngest(b *testing.B) {
	ctx := context.Background()
	pool, _ := dbtest.NewDB(b)
	store, err := channels.NewStore(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		b.Fatal(err)
	}
	owner := testfactory.User(ctx, b, pool, &testfactory.UserOpts{Password: "-"})
	org, _ := testfactory.Org(ctx, b, pool, &testfactory.OrgOpts{Owner: &owner})
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	row, err := store.Put(ctx, pool, org.ID, channels.ChannelEmail, channels.PutParams{
		Config:  map[string]string{channels.FieldFromEmail: "news@example.com", channels.FieldEventPublicKey: base64.StdEncoding.EncodeToString(der)},
		Secrets: map[string]*string{channels.FieldAPIKey: ptr(sgKey)},
	}, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	w := river.NewWorkers()
	river.AddWorker(w, &ProcessWorker{})
	rc, err := jobqueue.NewClient(pool, jobqueue.Options{Logger: zerolog.Nop(), Workers: w})
	if err != nil {
		b.Fatal(err)
	}
	srv := httpserver.New(httpserver.Options{Logger: zerolog.Nop()})
	h := &Handlers{DB: pool, Channels: store, Jobs: rc, PublicBaseURL: testBaseURL, Now: time.Now}
	h.RegisterCallbacks(srv.App)
	path := "/api/callbacks/sendgrid/" + row.HookID + "/"

	const perBatch = 1000
	bodies := make([][]byte, b.N)
	now := time.Now().Unix()
	for i := range b.N {
		var buf bytes.Buffer
		buf.WriteByte('[')
		for j := range perBatch {
			if j > 0 {
				buf.WriteByte(',')
			}
			fmt.Fprintf(&buf, `{"email":"r%d@example.com","timestamp":%d,"smtp-id":"<%d.%d@sb.test>","event":"delivered","category":["news"],`+
				`"sg_event_id":"%s","sg_message_id":"m%d.filter0001.16648.5515E0B88.0","response":"250 OK","tls":1}`,
				j, now, i, j, uuid.NewString(), j)
		}
		buf.WriteByte(']')
		bodies[i] = buf.Bytes()
	}
	sign := func(body []byte) (string, string) {
		stamp := strconv.FormatInt(time.Now().Unix(), 10)
		sum := sha256.Sum256(append([]byte(stamp), body...))
		sig, _ := ecdsa.SignASN1(rand.Reader, key, sum[:])
		return base64.StdEncoding.EncodeToString(sig), stamp
	}
	b.ReportAllocs()
	b.ResetTimer()
	var dbTime time.Duration
	for i := range b.N {
		sig, stamp := sign(bodies[i])
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(bodies[i]))
		req.Header.Set("X-Twilio-Email-Event-Webhook-Signature", sig)
		req.Header.Set("X-Twilio-Email-Event-Webhook-Timestamp", stamp)
		res, err := srv.App.Test(req, -1)
		if err != nil || res.StatusCode != fiber.StatusOK {
			b.Fatalf("answer %v %v", res, err)
		}
		res.Body.Close()
	}
	b.StopTimer()
	rows, err := dbsqlc.New().ListWebhookRequests(ctx, pool, dbsqlc.ListWebhookRequestsParams{OrgID: org.ID, Lim: int32(b.N)})
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range rows {
		dbTime += time.Duration(r.LatencyUs) * time.Microsecond
	}
	b.ReportMetric(float64(b.N*perBatch)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(dbTime.Microseconds())/float64(len(rows))/1000, "ms/batch-logged")
}

// BenchmarkProcessSendGrid processes batches of 1,000 SendGrid events
// (delivered and open for 500 messages) stored beforehand, and reports
// events processed per second.
//
//	go test -run XXX -bench ProcessSendGrid -benchtime 10x ./internal/webhooks/
func BenchmarkProcessSendGrid(b *testing.B) {
	ctx := context.Background()
	pool, _ := dbtest.NewDB(b)
	owner := testfactory.User(ctx, b, pool, &testfactory.UserOpts{Password: "-"})
	org, _ := testfactory.Org(ctx, b, pool, &testfactory.OrgOpts{Owner: &owner})
	q := dbsqlc.New()
	t0 := time.Now().Add(-time.Hour)
	requests := make([]uuid.UUID, b.N)
	for i := range b.N {
		var buf bytes.Buffer
		buf.WriteByte('[')
		for j := range 500 {
			pmid := fmt.Sprintf("p%d-%d", i, j)
			m, err := q.CreateOutboundMessage(ctx, pool, dbsqlc.CreateOutboundMessageParams{
				ID: uuid.New(), OrgID: org.ID, Channel: "email", ToAddress: fmt.Sprintf("r%d@example.com", j), Subject: "s", Provider: "sendgrid", Now: t0,
			})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := q.MarkSent(ctx, pool, dbsqlc.MarkSentParams{OrgID: org.ID, ID: m.ID, ProviderMessageID: &pmid, Now: t0}); err != nil {
				b.Fatal(err)
			}
			if j > 0 {
				buf.WriteByte(',')
			}
			for k, ev := range []string{"delivered", "open"} {
				if k > 0 {
					buf.WriteByte(',')
				}
				fmt.Fprintf(&buf, `{"email":"r%d@example.com","timestamp":%d,"event":%q,"sg_event_id":"%s","sg_message_id":"%s.filter0001"}`,
					j, t0.Unix()+int64(k+1), ev, uuid.NewString(), pmid)
			}
		}
		buf.WriteByte(']')
		requests[i] = uuid.New()
		if _, err := q.IngestSendGridBatch(ctx, pool, dbsqlc.IngestSendGridBatchParams{
			Body: buf.Bytes(), OrgID: org.ID, ID: requests[i], ReceivedAt: time.Now(), HttpStatus: 200,
		}); err != nil {
			b.Fatal(err)
		}
	}
	w := &ProcessWorker{DB: pool, Now: time.Now}
	b.ResetTimer()
	for i := range b.N {
		job := &river.Job[ProcessArgs]{JobRow: &rivertype.JobRow{Attempt: 1, MaxAttempts: ProcessMaxAttempts}, Args: ProcessArgs{OrgID: org.ID, RequestID: requests[i]}}
		if err := w.Work(ctx, job); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "events/s")
}
