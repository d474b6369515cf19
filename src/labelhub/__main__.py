from labelhub.launch import main

raise SystemExit(main())
