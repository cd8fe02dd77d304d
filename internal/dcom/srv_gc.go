package dcom

import "time"

// collector runs the garbage collector every SweepInterval until the
// server stops ([MS-DCOM] 3.1.2.6, 3.2.6.1). The table's expiry uses the
// injectable clock; the interval uses real time.
func (s *Server) collector() {
	defer close(s.gcDone)
	tick := time.NewTicker(s.cfg.SweepInterval)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			s.collect()
		}
	}
}

// collect expires ping sets and releases unreferenced objects, closing
// those that are io.Closers. It returns how many objects were released.
func (s *Server) collect() int {
	gone := s.tab.sweep()
	for _, o := range gone {
		s.log.Info("dcom: object released by garbage collection")
		s.closeObject(o)
	}
	return len(gone)
}

func (s *Server) stopCollector() {
	s.once.Do(func() { close(s.stop) })
	s.mu.Lock()
	started := s.actL != nil
	s.mu.Unlock()
	if started {
		<-s.gcDone
	}
}
