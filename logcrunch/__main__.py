from logcrunch.cli import main

main()
