module github.com/cloudresizer/cloudresizer

go 1.26.8
