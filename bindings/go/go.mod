module libdeep/deep

go 1.19
