"""Field work: store visits by reps, dealer stock/sales reports, replenishment suggestions."""
