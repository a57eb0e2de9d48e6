output "topic_ids" {
  description = "Topic name -> id (projects/P/topics/T)."
  value       = { for name, t in google_pubsub_topic.topic : name => t.id }
}

output "push_subscriptions" {
  description = "Function name -> its push subscription."
  value       = { for name, s in google_pubsub_subscription.push : name => s.name }
}

output "dead_letter_subscriptions" {
  description = "Function name -> the pull subscription of its dead-letter topic."
  value       = { for name, s in google_pubsub_subscription.dead_letter : name => s.name }
}
