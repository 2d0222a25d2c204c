package service

// Power events of PeerGroupHandlePowerEvent: the PBT_* values of
// WM_POWERBROADCAST.
const (
	PowerSuspend         = 0x4  // PBT_APMSUSPEND
	PowerResumeCritical  = 0x6  // PBT_APMRESUMECRITICAL
	PowerResumeSuspend   = 0x7  // PBT_APMRESUMESUSPEND
	PowerResumeAutomatic = 0x12 // PBT_APMRESUMEAUTOMATIC
)

// HandlePowerEvent tells the groups this process hosts about a power
// event. On a resume every online group redials its members at once and
// republishes its addresses (sleep may have ended its connections or
// changed its addresses); other events, suspend included, need nothing
// here (connections that sleep ends are detected and replaced on resume).
func (s *Service) HandlePowerEvent(ev uint32) error {
	switch ev {
	case PowerResumeCritical, PowerResumeSuspend, PowerResumeAutomatic:
	default:
		return nil
	}
	s.mu.Lock()
	groups := make([]*shared, 0, len(s.groups))
	for _, sh := range s.groups {
		groups = append(groups, sh)
	}
	s.mu.Unlock()
	for _, sh := range groups {
		sh.mu.Lock()
		local := sh.local
		sh.mu.Unlock()
		if local == nil {
			continue // attached: the hosting process gets its own event
		}
		if n, err := local.Node(); err == nil {
			n.Resume()
		}
	}
	return nil
}
