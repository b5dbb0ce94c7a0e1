package train

import "time"

// A time budget (Options.Budget) sizes the schedule to the machine: the cosine decay must
// end when the budget does, and how many steps fit is only known once the run has
// measured its own pace. So the run starts with Hyper.Steps as an upper bound and, at the
// end of the warm-up (whose learning rate does not depend on the number of steps), fixes
// Steps from the pace of the warm-up's second half; from then on it is an ordinary run of
// that many steps, saved as such in its checkpoints, and bit for bit the run that
// --steps would have given. The first half is left out of the pace because a compiling
// backend (XLA) compiles its graphs during the first steps.

// minBudgetWarmup is the earliest step at which the pace is taken, whatever the warm-up.
const minBudgetWarmup = 10

// budgetStepCap bounds a budget run given no number of steps: the budget decides, long before.
const budgetStepCap = 100_000_000

// budgetSteps is the number of steps that fit budget, from the end times of the steps
// run so far in this process (ends[i] is the time since the loop started at the end of
// the process's i-th step, the first being step first+1), never more than max and never
// fewer than the steps already done.
func budgetSteps(budget time.Duration, first int, ends []time.Duration, max int) int {
	done := first + len(ends)
	if len(ends) < 2 {
		return min(max, done)
	}
	half := len(ends) / 2
	pace := (ends[len(ends)-1] - ends[half-1]) / time.Duration(len(ends)-half)
	left := budget - ends[len(ends)-1]
	if pace <= 0 || left <= 0 {
		return min(max, done)
	}
	return min(max, done+int(left/pace))
}
