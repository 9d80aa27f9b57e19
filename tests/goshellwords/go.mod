module pgconffix/goshellwords

go 1.13

require github.com/mattn/go-shellwords v1.0.12
