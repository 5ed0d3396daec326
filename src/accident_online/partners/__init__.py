"""Partner systems: the mobile app backend, insurers, mediation and the court."""
