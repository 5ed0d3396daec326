"""Claim calculation (理赔计算) from liability, losses and insurance cover."""
