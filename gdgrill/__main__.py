from gdgrill.cli import main

main()
