# The public entry point of the tribute-photo service.
resource "aws_lb" "web" {
  name               = "tributes-web"
  internal           = false
  load_balancer_type = "application"
  subnets            = var.public_subnets

  idle_timeout = var.idle_timeout
}

variable "public_subnets" {
  type = list(string)
}

variable "idle_timeout" {
  description = "Seconds an idle connection is kept open"
  type        = number
  default     = 60
}
