from nasrepro.cli import main

raise SystemExit(main())
