from accident_online.cli import main

raise SystemExit(main())
