"""One-click claims (一键理赔): the payment lines settled compensation produces, their due
dates, payments against them, and the overdue ones."""
