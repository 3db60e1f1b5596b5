import type { ProxyNotice } from '../proxy/exchange.js';

/** What the proxy's notices add to the run record beyond the engine's state. */
export class RunTally {
  apiEquivalent = false;
  readonly toolsRemoved = new Set<string>();
  readonly reservation: { mode: string; riskNano: number; countCalls: number };
  upstreamNonCompliant = false;

  constructor(reserveMode: string) {
    this.reservation = { mode: reserveMode, riskNano: 0, countCalls: 0 };
  }

  add(notice: ProxyNotice): void {
    if (notice.type === 'subscription') this.apiEquivalent = true;
    if (notice.type === 'tools-removed') for (const name of notice.names) this.toolsRemoved.add(name);
    if (notice.type === 'counted') this.reservation.countCalls++;
    if (notice.type === 'settled') {
      this.reservation.riskNano = Math.max(this.reservation.riskNano, notice.billedInputNano - notice.reservedInputNano);
      this.upstreamNonCompliant ||= notice.overrun;
    }
  }
}
