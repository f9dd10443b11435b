// An exact running sum of pico-dollar amounts that stays exact past 2^53 pico-dollars ($9,007):
// whole dollars are carried into a second integer. Converted to a float only when exported.
import { PICO_PER_USD } from '../cost/money.js';

export class UsdSum {
  private wholeUsd = 0;
  /** Always in [0, PICO_PER_USD) after add. */
  private pico = 0;

  add(pico: number): void {
    const sum = this.pico + pico;
    if (sum >= 0 && sum < PICO_PER_USD) {
      this.pico = sum;
      return;
    }
    const carry = Math.floor(sum / PICO_PER_USD);
    this.wholeUsd += carry;
    this.pico = sum - carry * PICO_PER_USD;
  }

  /** The sum in USD; exact to the pico-dollar while the whole dollars fit a double's 15 digits. */
  usd(): number {
    return this.wholeUsd + this.pico / PICO_PER_USD;
  }
}
