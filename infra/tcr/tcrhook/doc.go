// Package tcrhook receives the webhooks of the registry and the carriers: an
// http.Handler ([Handler]) that verifies a webhook's HMAC signature over its
// raw body ([tcr.Verify]), translates it into internal events ([tcr.Translate])
// and delivers them to a [Sink], answering 2xx only once they are delivered, so
// a sender retries whatever did not get there.
//
// The handler knows no transport: cmd/webhook gives it the events queue as
// its sink and serves it over HTTP or, through [LambdaAdapter], as an AWS
// Lambda function; another program may mount it on its own mux with a sink of
// its own. The shared secret comes from a [SecretSource]: [RefreshingSecret]
// reads it with [ReadSecretsManager] or [ReadSecretFile], refreshes it and
// reads it again when a signature does not match, so a rotation is picked up.
package tcrhook
