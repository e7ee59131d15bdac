func.func @nothing(%x: tensor<2xf32>) {
  return
}
