from labelhub.cli import main

raise SystemExit(main())
