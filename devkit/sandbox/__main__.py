from devkit.sandbox.wechat import main

main()
