package tcrsim

// lost decides whether the lost-request fault (Config.Lose, --lose) strikes
// the request to ep just decided with ans: at the group's rate, an accepted
// (2xx) request. The caller answers it as decided and then forgets it: no
// webhook is planned, the status look-ups answer as if it never came, and a
// later request for the record is decided anew, the way a downstream that
// acknowledged a request and then lost it behaves. A refusal is never lost:
// the caller learns of it at once.
func (s *Simulator) lost(ep endpoint, ans answer) bool {
	return ans.status >= 200 && ans.status <= 299 && s.rnd.chance(s.cfg.Lose[ep.group])
}
